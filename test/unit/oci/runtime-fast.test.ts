// The fast entry of tslab-runtime: which argv it serves itself, and what it leaves to the full program.
import { describe, expect, it } from 'vitest';
import { parseHotCall } from '../../../src/cli/runtime-fast.js';

describe('parseHotCall', () => {
  it('serves run and create in the forms engines and the benchmarks use', () => {
    expect(parseHotCall(['--root', '/r', 'run', '--bundle', '/b', 'c1'])).toEqual({
      call: 'run', globals: new Map([['--root', '/r']]), args: { id: 'c1', bundle: '/b' },
    });
    expect(parseHotCall(['run', '-b', '/b', '-d', '--keep', '--pid-file=/p', 'c1'])?.args)
      .toEqual({ id: 'c1', bundle: '/b', detach: true, keep: true, pidFile: '/p' });
    expect(parseHotCall(['--log', '/l', 'create', '--bundle=/b', '--console-socket', '/s', '--no-pivot', '--preserve-fds', '2', 'c1'])?.args)
      .toEqual({ id: 'c1', bundle: '/b', consoleSocket: '/s' });
    // no --bundle: the program's default (the current folder) is applied by the caller
    expect(parseHotCall(['create', 'c1'])?.args).toEqual({ id: 'c1' });
  });

  it('leaves to the full program what only it serves', () => {
    for (const argv of [
      ['run', '--step', '-b', '/b', 'c1'], ['run', '--tui', 'c1'], ['run', '-b'], ['run'], ['run', 'a', 'b'],
      ['create', '--detach', 'c1'], ['run', '--keep=1', 'c1'], ['run', '-db', '/b', 'c1'], ['run', '--preserve-fds', '1', 'c1'],
      ['exec', 'c1', 'sh'], ['--help'], ['kill', 'c1', '-9'],
    ]) expect(parseHotCall(argv), argv.join(' ')).toBeUndefined();
  });

  it('serves the hot calls as before', () => {
    expect(parseHotCall(['kill', '--all', 'c1', 'KILL'])?.args).toEqual({ id: 'c1', all: true, signal: 'KILL' });
    expect(parseHotCall(['delete', '-f', 'c1'])?.args).toEqual({ id: 'c1', force: true });
    expect(parseHotCall(['state', '--force', 'c1'])).toBeUndefined();
  });
});
