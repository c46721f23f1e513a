// A container frozen from outside (someone wrote freezer.state / cgroup.freeze, not `pause`): state
// says paused, as runc's does, and delete --force thaws it first, then leaves nothing (the probe saw
// "running", a 10 s timeout, the process and 9 cgroup directories left).
import { describe, expect, it } from 'vitest';
import { run, waitFor } from '../../helpers/runtimes.js';
import { afterThisTest, cannotRun, oneContainer, OURS_AND_RUNC } from './one-container.js';
import { leftovers } from '../../helpers/leftovers.js';
import { cgroupManager } from '../../../src/runtime/cgroups/index.js';
import { processAlive } from '../../../src/runtime/state.js';


describe.skipIf(cannotRun)('a cgroup frozen by someone else (ours and runc; needs root and runc)', { timeout: 60_000 }, () => {
  it.each(OURS_AND_RUNC)('%s: state says paused, delete --force thaws and removes everything', async (name, rt) => {
    const { id, root, bundle } = oneContainer(rt, `sec-frz-${name}`, ['sleep', '300']);
    const cgroup = cgroupManager(bundle.spec.linux!.cgroupsPath!);
    afterThisTest(() => cgroup.thaw().catch(() => {}));
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
