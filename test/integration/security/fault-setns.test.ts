// A fault at the runtime's own setns back into its pid namespace (after it spawned the init into a
// new one) used to leave `run` printing the error and never exiting: a process whose
// pid_for_children is another namespace cannot start threads. It must stop at once, naming the
// step, and `delete --force` must then leave nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, TSLAB_RUNTIME } from '../../helpers/runtimes.js';
import { leftovers } from '../../helpers/leftovers.js';

const isRoot = process.getuid?.() === 0;
let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'tslabt-sec-fault-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!isRoot)('a fault at the runtime\'s setns (needs root)', () => {
  it('run stops at once naming setns; delete --force leaves nothing', async () => {
    const id = uniqueId('sec-fault-setns');
    const b = makeBundle(['true'], undefined, id);
    try {
      const r = await run(TSLAB_RUNTIME, ['--root', root, 'run', '--bundle', b.dir, id], {
        env: { ...process.env, TSLAB_FAULT: 'cli/setns:1:EPERM' }, timeoutMs: 20_000,
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/setns failed: EPERM/);
      expect((await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id])).code).toBe(0);
      expect(existsSync(join(root, id))).toBe(false);
      expect(leftovers().filter((l) => l.includes(id))).toEqual([]);
    } finally {
      await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]);
      b.cleanup();
    }
  });
});
