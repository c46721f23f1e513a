// A command's output is narrated as a terminal shows it: stderr ("Killed") where it came, not after stdout.
import { describe, expect, it } from 'vitest';
import { narrateSink } from '../../../src/labs/reporters/narrate.js';
import { runOutside } from '../../../src/container/shell.js';

describe('command output', () => {
  it('is narrated in arrival order, then the exit status', () => {
    let out = '';
    const sink = narrateSink((s) => { out += s; });
    const result = { code: 1, signal: null, stdout: 'exit status 137\n', stderr: 'Killed\n', out: 'exit status 137', output: 'Killed\nexit status 137\n' };
    sink({ type: 'command', container: 'c', sh: 'dd …; echo "exit status $?"', result, durationMs: 1 });
    expect(out).toBe('     Killed\n     exit status 137\n     (exit 1)\n');
  });

  it('keeps both streams of a real shell together, besides each on its own', async () => {
    const r = await runOutside('echo to-stdout; echo to-stderr >&2');
    expect(r.stdout).toBe('to-stdout\n');
    expect(r.stderr).toBe('to-stderr\n');
    expect([...(r.output ?? '').split('\n')].sort()).toEqual(['', 'to-stderr', 'to-stdout']);
  });
});
