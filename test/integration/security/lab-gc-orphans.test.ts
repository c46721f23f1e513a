// `tslab lab gc` after a lab run was killed while its container was frozen (a paused freezer lab)
// and its state is gone: no owner.json, no runtime state, only the container's processes, its
// cgroups in every hierarchy and its root's mount, all named as the lab runner names them. gc must
// find them by name, thaw, kill and remove them, and leave a live run's container alone. Against
// ours and runc as the lab's runtime (the runner drives either the same way).
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { leftovers } from '../../helpers/leftovers.js';
import { run, runcPath, TSLAB, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';
import { cgroupManager } from '../../../src/runtime/cgroups/index.js';
import { processAlive } from '../../../src/runtime/state.js';
import { noteContainer, writeOwner } from '../../../src/labs/gc.js';
import { cgroupsNamed, reapCgroups } from '../../../src/runtime/cgroups/reap.js';

const isRoot = process.getuid?.() === 0;
const runc = runcPath();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const rand = (): string => Math.random().toString(36).slice(2, 6);

/** A lab run's scratch folder with one running container, named as src/labs/runner.ts names them. */
async function labRun(prefix: string, runtime: string): Promise<{ scratch: string; id: string; pid: number; state: string }> {
  const scratch = mkdtempSync(join(tmpdir(), `${prefix}frz-`));
  const id = `${prefix}frz-c-${rand()}`;
  const state = join(scratch, 'state');
  const bundle = makeBundle(['sleep', '300'], undefined, id);
  cleanups.push(async () => {
    await run(runtime, ['--root', state, 'delete', '--force', id]);
    await reapCgroups(cgroupsNamed(id));
    spawnSync('umount', ['-l', join(scratch, 'c', 'rootfs')]);
    rmSync(scratch, { recursive: true, force: true });
    bundle.cleanup();
  });
  writeOwner(scratch, runtime);
  noteContainer(scratch, id);
  const r = await run(runtime, ['--root', state, 'run', '--detach', '--bundle', bundle.dir, id]);
  expect(r.code, r.stderr).toBe(0);
  const pid = await waitFor('the container to run', async () => {
    const s = JSON.parse((await run(runtime, ['--root', state, 'state', id])).stdout || '{}') as { status?: string; pid?: number };
    return s.status === 'running' ? s.pid : undefined;
  });
  // where the runner mounts the image's overlay (a tmpfs stands in for it)
  const rootfs = join(scratch, 'c', 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', rootfs]);
  return { scratch, id, pid: pid!, state };
}

describe.skipIf(!isRoot || !runc)('tslab lab gc of a killed, frozen lab whose state is gone (ours and runc; needs root and runc)', { timeout: 90_000 }, () => {
  it.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s: finds it by name, thaws, kills and removes it; a live run stays', async (_name, runtime) => {
    const prefix = `tslabt-reliab-gc${rand()}-`;
    const dead = await labRun(prefix, runtime);
    const live = await labRun(prefix, runtime);
    // the dead run: its runner was SIGKILLed while the lab was paused, and its state went with it
    writeFileSync(join(dead.scratch, 'owner.json'), JSON.stringify({ pid: 2 ** 22 + 1, start: '1', runtime }));
    await cgroupManager(`/${dead.id}`).freeze();
    rmSync(join(dead.scratch, 'state'), { recursive: true, force: true });
    rmSync(join(dead.scratch, 'owner.json'));
    rmSync(join(dead.scratch, 'containers'));

    const r = await run(TSLAB, ['lab', 'gc', '--name-prefix', prefix]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`cgroup /sys/fs/cgroup/`);
    expect(r.stdout).toContain(`mount ${join(dead.scratch, 'c', 'rootfs')}`);
    await waitFor('the dead run\'s init to be gone', () => (processAlive(dead.pid, undefined) ? undefined : true));
    expect(leftovers().filter((l) => l.includes(dead.id) || l.includes(dead.scratch))).toEqual([]);
    // the live run is untouched: its init, its cgroups, its mount
    expect(processAlive(live.pid, undefined)).toBe(true);
    expect(cgroupManager(`/${live.id}`).pids()).toContain(live.pid);
    expect(leftovers().some((l) => l.includes(join(live.scratch, 'c', 'rootfs')))).toBe(true);
    expect(existsSync(join(live.scratch, 'owner.json'))).toBe(true);
  });
});
