// kill -9 of `create` at many points of its life (chosen by how far its trace has got, not by
// timers): `delete --force` must then recover everything, leaving no state, cgroup or process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';
import { leftovers } from '../../helpers/leftovers.js';

const isRoot = process.getuid?.() === 0;
let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'tslabt-sec-kill-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Processes whose command line names this container's bundle or id (the init, a trampoline). */
function processesNaming(text: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/environ`, 'utf8').includes(text) || readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  }).map(Number);
}

describe.skipIf(!isRoot)('kill -9 during create (needs root)', { timeout: 120_000 }, () => {
  it.each([1, 4, 8, 12, 16, 24, 32])('after %i trace events: delete --force leaves nothing', async (events) => {
    const id = uniqueId('sec-kill');
    const b = makeBundle(['sleep', '300'], (s) => { s.linux!.resources = { pids: { limit: 20 } }; }, id);
    const trace = join(b.dir, 'trace.jsonl');
    try {
      const create = spawn(TSLAB_RUNTIME, ['--root', root, '--trace', trace, 'create', '--bundle', b.dir, id], { stdio: 'ignore' });
      const exited = new Promise((r) => create.on('exit', r));
      const lines = (): number => (existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').length - 1 : 0);
      // polled every 2 ms (not waitFor's growing delay): create lasts a few hundred ms
      for (const deadline = Date.now() + 30_000; lines() < events && create.exitCode === null && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 2));
      }
      create.kill('SIGKILL');
      await exited;
      const r = await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(root, id))).toBe(false);
      await waitFor('the init to be gone', () => (processesNaming(b.dir).length === 0 ? true : undefined));
      expect(leftovers().filter((l) => l.includes(id))).toEqual([]);
    } finally {
      await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]);
      b.cleanup();
    }
  });
});
