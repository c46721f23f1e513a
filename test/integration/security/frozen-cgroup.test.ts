// A container frozen from outside (someone wrote freezer.state / cgroup.freeze, not `pause`): state
// says paused, as runc's does, and delete --force thaws it first, then leaves nothing (the probe saw
// "running", a 10 s timeout, the process and 9 cgroup directories left).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';
import { leftovers } from '../../helpers/leftovers.js';
import { cgroupManager } from '../../../src/runtime/cgroups/index.js';
import { processAlive } from '../../../src/runtime/state.js';

const isRoot = process.getuid?.() === 0;
const runc = runcPath();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

describe.skipIf(!isRoot || !runc)('a cgroup frozen by someone else (ours and runc; needs root and runc)', { timeout: 60_000 }, () => {
  it.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s: state says paused, delete --force thaws and removes everything', async (name, rt) => {
    const id = uniqueId(`sec-frz-${name}`);
    const root = mkdtempSync(join(tmpdir(), 'tslabt-sec-frz-'));
    const bundle = makeBundle(['sleep', '300'], undefined, id);
    const cgroup = cgroupManager(bundle.spec.linux!.cgroupsPath!);
    cleanups.push(async () => {
      await cgroup.thaw().catch(() => {});
      await run(rt, ['--root', root, 'delete', '--force', id]);
      rmSync(root, { recursive: true, force: true });
      bundle.cleanup();
    });
    expect((await run(rt, ['--root', root, 'run', '--detach', '--bundle', bundle.dir, id])).code).toBe(0);
    const state = async (): Promise<{ status?: string; pid?: number }> => JSON.parse((await run(rt, ['--root', root, 'state', id])).stdout || '{}');
    const pid = await waitFor('the container to run', async () => ((await state()).status === 'running' ? (await state()).pid : undefined));
    await cgroup.freeze();
    expect((await state()).status).toBe('paused');
    const r = await run(rt, ['--root', root, 'delete', '--force', id], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    await waitFor('the init to be gone', () => (processAlive(pid!, undefined) ? undefined : true));
    expect(leftovers().filter((l) => l.includes(id))).toEqual([]);
  });
});
