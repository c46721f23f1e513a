// A closed pipe is not an error: `tslab lab list | head -1` printed an EPIPE stack trace (issue 11,
// item 8). Every command ends quietly with status 0 when its reader goes away.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { TSLAB, TSLAB_RUNTIME } from '../helpers/runtimes.js';

describe('a reader that goes away', () => {
  it.each([
    [TSLAB, 'lab list'],
    [TSLAB, '--help'],
    [TSLAB_RUNTIME, '--help'],
  ])('%s %s | head -1: one line, no stack trace, status 0', (bin, args) => {
    // the command writes more than the pipe holds after head has gone: yes(1) style
    const r = spawnSync('bash', ['-c', `for i in 1 2 3 4 5 6 7 8; do "${bin}" ${args}; done | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], { encoding: 'utf8' });
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(r.stderr).toMatch(/status=0/);
  });
});

describe('a foreground container whose reader goes away (needs root)', () => {
  it.each(['tslab', 'runc'])('container run --rm --runtime %s … | head -1: the container ends, and --rm removes it', (runtime) => {
    const name = `tslabt-pipe-${runtime}-${process.pid}`;
    try {
      // yes writes for ever: only a failed write (EPIPE, as in a shell pipeline) ends it
      const r = spawnSync('bash', ['-c', `"${TSLAB}" container run --rm --name ${name} --runtime ${runtime} --network none busybox ` +
        `sh -c 'yes; echo "yes ended" >&2' | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stdout.trim(), r.stderr).toBe('y');
      expect(r.stderr).toMatch(/status=\d+/);
      expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
      const left = spawnSync(TSLAB, ['container', 'ls', '-a', '--filter', `name=${name}`, '-q'], { encoding: 'utf8' });
      expect(left.stdout.trim()).toBe('');
    } finally {
      spawnSync(TSLAB, ['container', 'rm', '-f', name], { encoding: 'utf8' });
    }
  });
});
