// Fault injection through the tracer: make one step fail and check that the failed create leaves
// nothing behind (state, cgroup, processes) and names the step that failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, TSLAB_RUNTIME } from '../../helpers/runtimes.js';
import { leftovers } from '../../helpers/leftovers.js';

let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'tslabt-state-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

function processesOf(bundleDir: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(bundleDir)) found.push(Number(pid));
    } catch {
      // gone
    }
  }
  return found;
}

describe.each([
  ['cli/cgroup.write', 2, 'EINVAL'],
  ['cli/unshare', 1, 'EPERM'],
  ['init/unshare', 1, 'EINVAL'],
  ['init/mount', 4, 'EPERM'],
  ['init/pivot_root', 1, 'EINVAL'],
  ['init/sethostname', 1, 'EPERM'],
  ['init/capset', 1, 'EPERM'],
  ['init/execve', 1, 'ENOENT'],
])('a failing %s (occurrence %i, %s)', (step, occurrence, errno) => {
  it('fails the run naming the errno and leaves nothing behind', async () => {
    const id = uniqueId('fault');
    const b = makeBundle(['true'], (s) => { s.linux!.resources = { pids: { limit: 20 } }; }, id);
    try {
      const r = await run(TSLAB_RUNTIME, ['--root', root, 'run', '--bundle', b.dir, id], {
        env: { ...process.env, TSLAB_FAULT: `${step}:${occurrence}:${errno}` },
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(errno);
      expect(existsSync(join(root, id))).toBe(false);
      expect(leftovers().filter((l) => l.includes(id))).toEqual([]);
      expect(processesOf(b.dir)).toEqual([]);
    } finally {
      await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]);
      b.cleanup();
    }
  });
});
