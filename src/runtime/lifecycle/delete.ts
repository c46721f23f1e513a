// delete: the container's processes are gone (or killed with --force), then its cgroup, its state
// and the poststop hooks. Mounts lived in the container's mount namespace and died with it.
import { existsSync, rmSync } from 'node:fs';
import { tracer } from '../../tracer/tracer.js';
import { cgroupManager } from '../cgroups/index.js';
import { waitUntil } from '../cgroups/files.js';
import { NotFoundError, ociState, processAlive, readState, stateDir } from '../state.js';
import { runHooks } from './hooks.js';
import { readSavedSpec } from './start.js';

export async function deleteContainer(root: string, id: string, force: boolean): Promise<void> {
  let state;
  try {
    state = readState(root, id);
  } catch (err) {
    if (err instanceof NotFoundError && force) {
      // A create killed before it wrote state.json leaves a bare folder that would block the id.
      rmSync(stateDir(root, id), { recursive: true, force: true });
      return;
    }
    throw err;
  }
  tracer.container = id;
  if (state.status !== 'stopped' && !force) {
    throw new Error(`cannot delete container "${id}" that is not stopped: container ${state.status} (use --force, or kill it first)`);
  }
  const cgroup = cgroupManager(state.cgroupPath);
  // pid 0: a create that died before its init was known (kill(0) would signal our own process group)
  if (state.status !== 'stopped' && state.pid > 0) {
    if (state.status === 'paused') await cgroup.thaw().catch(() => {});
    try {
      process.kill(state.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await waitUntil(`container ${id} to exit`, () => !processAlive(state.pid, state.pidStartTime));
  }
  // as runc: a cgroup that cannot be removed is reported, and the container is deleted all the same
  // (a state folder left behind would look like a container that still exists)
  const left = await cgroup.destroy(state.cgroupPreexisting);
  let spec;
  try {
    spec = readSavedSpec(root, id);
  } catch {
    spec = undefined;
  }
  const dir = stateDir(root, id);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  tracer.point('lifecycle', 'state.deleted', { id }, `deleted ${id}`);
  for (const line of left) process.stderr.write(`warning: container "${id}": ${line}\n`);
  // poststop hooks: a failure is a warning, and the remaining hooks still run (runtime-spec).
  await runHooks('poststop', spec?.hooks?.poststop, { ...ociState({ ...state, status: 'stopped' }) }, { warnOnly: true });
}
