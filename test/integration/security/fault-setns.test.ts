// A fault at the runtime's own setns back into its pid namespace (after it spawned the init into a
// new one) used to leave `run` printing the error and never exiting: a process whose
// pid_for_children is another namespace cannot start threads. It must stop at once, naming the
// step, and `delete --force` must then leave nothing. `exec` joins the container's namespaces in its
// helper: a fault at each of the helper's setns calls (as a recorded exec trace lists them) must end
// the exec naming setns and leave the container as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';
import { leftovers } from '../../helpers/leftovers.js';
import { faultsOf, readTrace } from '../../helpers/faults.js';
import { cgroupManager } from '../../../src/runtime/cgroups/index.js';

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

  it('exec: a fault at every setns of the exec helper ends the exec naming setns; the container runs on alone', async () => {
    const id = uniqueId('reliab-fault-setns-exec');
    const b = makeBundle(['sleep', '300'], undefined, id);
    const cgroup = cgroupManager(b.spec.linux!.cgroupsPath!);
    try {
      expect((await run(TSLAB_RUNTIME, ['--root', root, 'run', '--detach', '--bundle', b.dir, id])).code).toBe(0);
      const state = async (): Promise<{ status?: string; pid?: number }> => JSON.parse((await run(TSLAB_RUNTIME, ['--root', root, 'state', id])).stdout || '{}');
      const init = await waitFor('the container to run', async () => ((await state()).status === 'running' ? (await state()).pid : undefined));
      const trace = join(root, `${id}.trace.jsonl`);
      expect((await run(TSLAB_RUNTIME, ['--root', root, 'exec', id, 'true'], { env: { ...process.env, TSLAB_TRACE: trace } })).code).toBe(0);
      const setns = faultsOf(readTrace(trace), true).filter((f) => f.step === 'setns');
      expect(setns.length).toBeGreaterThan(0);
      for (const fault of setns) {
        const r = await run(TSLAB_RUNTIME, ['--root', root, 'exec', id, 'true'], {
          env: { ...process.env, TSLAB_FAULT: `${fault.spec}:EPERM` }, timeoutMs: 20_000,
        });
        expect(r.code, fault.spec).not.toBe(0);
        expect(r.stderr, fault.spec).toMatch(/setns failed: EPERM/);
        expect(await state(), fault.spec).toMatchObject({ status: 'running', pid: init });
        await waitFor(`${fault.spec}: only the init in the container`, () => (cgroup.pids().every((p) => p === init) ? true : undefined));
      }
    } finally {
      await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]);
      b.cleanup();
    }
    expect(leftovers().filter((l) => l.includes(id))).toEqual([]);
  });
});
