// What one does to a container once it exists: stop, kill, pause/unpause, rm, exec.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { tracer } from '../tracer/tracer.js';
import { exitStatus } from '../runtime/lifecycle/signals.js';
import { releaseNetwork } from './network.js';
import { containerDir, type ContainerRecord } from './record.js';
import { isMounted, rootfsPaths, unmountRootfs } from './rootfs.js';
import { alive, containerCgroup, dataRoot, refresh, runtimeFor, waitUntil } from './state.js';

export async function stopContainer(record: ContainerRecord, timeoutSec: number): Promise<void> {
  refresh(record);
  if (record.state.status !== 'running' && record.state.status !== 'paused') return;
  const runtime = runtimeFor(record);
  const dir = containerDir(dataRoot(), record.id);
  const gone = (): boolean => refresh(record).state.status === 'exited' || !existsSync(dir);
  if (record.state.status === 'paused') await setPaused(record, false);
  try {
    runtime.kill(record.id, record.options.stopSignal);
  } catch {
    // it may have exited meanwhile
  }
  if (!(await waitUntil(gone, timeoutSec * 1000))) {
    try {
      runtime.kill(record.id, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
    if (!(await waitUntil(gone, 15_000))) throw new Error(`container ${record.name} did not stop after SIGKILL`);
  }
  releaseNetwork(record.id); // the monitor does it too; whoever comes first
}

export function killContainer(record: ContainerRecord, signal: string): void {
  refresh(record);
  if (record.state.status !== 'running' && record.state.status !== 'paused') {
    throw new UsageError(`container ${record.name} is not running (${record.state.status})`);
  }
  runtimeFor(record).kill(record.id, signal);
}

/** pause/unpause: freezes or thaws the container's cgroup (on v1 it waits until the freezer says FROZEN). */
export async function setPaused(record: ContainerRecord, paused: boolean): Promise<void> {
  refresh(record);
  const want = paused ? 'running' : 'paused';
  if (record.state.status !== want) {
    throw new UsageError(`container ${record.name} is ${record.state.status}, not ${want}: nothing to ${paused ? 'pause' : 'unpause'}`);
  }
  const cgroup = record.state.pid ? containerCgroup(record.state.pid) : undefined;
  if (!cgroup) throw new Error(`cannot find the freezer of container ${record.name}: is the freezer cgroup controller mounted?`);
  try {
    await (paused ? cgroup.freeze() : cgroup.thaw());
  } catch (err) {
    throw new Error(`container ${record.name} did not ${paused ? 'freeze' : 'thaw'}: ${(err as Error).message}`);
  }
  if (paused) tracer.point('lifecycle', 'state.paused', { id: record.id }, `paused ${record.name}`);
  else tracer.point('lifecycle', 'state.resumed', { id: record.id }, `resumed ${record.name}`);
}

/** Removes a stopped container: runtime state, mount, folder. Named volumes stay. */
export function removeContainer(record: ContainerRecord, force: boolean): void {
  const root = dataRoot();
  refresh(record);
  if ((record.state.status === 'running' || record.state.status === 'paused') && !force) {
    throw new UsageError(`container ${record.name} is ${record.state.status}: stop it first (tslab container stop ${record.name}) or use -f`);
  }
  const runtime = runtimeFor(record);
  if (record.state.status === 'running' || record.state.status === 'paused') {
    if (record.state.status === 'paused' && record.state.pid) {
      // the thaw's write happens now; SIGKILL works on a frozen task anyway, so its wait is not ours
      containerCgroup(record.state.pid)?.thaw().catch(() => {});
    }
    try {
      runtime.kill(record.id, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  runtime.deleteForce(record.id);
  releaseNetwork(record.id);
  const dir = containerDir(root, record.id);
  // the shim may still be unmounting; a lazy unmount keeps rm from failing on a busy mount
  if (isMounted(rootfsPaths(dir).rootfs)) unmountRootfs(dir);
  if (record.state.monitorPid && record.state.monitorPid !== process.pid && alive(record.state.monitorPid)) {
    const deadline = Date.now() + 10_000;
    while (alive(record.state.monitorPid) && Date.now() < deadline) spawnSync('sleep', ['0.02']);
    if (isMounted(rootfsPaths(dir).rootfs)) unmountRootfs(dir);
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs a command in a running container with its runtime's `exec` (ours, or runc's, crun's): in all
 * of its namespaces and cgroups, with the container's user, capabilities, no_new_privs and seccomp
 * filter, as `docker exec` does. (A plain nsenter would hand the command the host root's capabilities.)
 */
export async function execInContainer(record: ContainerRecord, command: string[], opts: { tty?: boolean; interactive?: boolean; user?: string; env?: string[]; workdir?: string; detach?: boolean }): Promise<number> {
  refresh(record);
  if (record.state.status === 'paused') throw new UsageError(`container ${record.name} is paused: unpause it first`);
  if (record.state.status !== 'running' || !record.state.pid) throw new UsageError(`container ${record.name} is not running (${record.state.status})`);
  if (command.length === 0) throw new UsageError('give a command to run, e.g. tslab container exec NAME sh');
  const flags: string[] = [];
  if (opts.user) {
    // names are the engine's business (runc exec takes numbers): look them up in the container's files
    const { resolveUser } = await import('./bundle.js');
    const { uid, gid } = resolveUser(`/proc/${record.state.pid}/root`, opts.user);
    flags.push('--user', `${uid}:${gid}`);
  }
  for (const e of opts.env ?? []) flags.push('--env', e.includes('=') ? e : `${e}=${process.env[e] ?? ''}`);
  if (opts.workdir) flags.push('--cwd', opts.workdir);
  // ours hands the caller's terminal on; runc and crun make a pty and relay it
  if (opts.tty) flags.push('--tty');
  // -d: the runtime starts the process and returns; it has no terminal and no output of ours
  if (opts.detach) {
    if (opts.tty || opts.interactive) throw new UsageError('exec -d runs in the background: it cannot take -i or -t');
    flags.push('--detach');
  }
  const runtime = runtimeFor(record);
  // -d: the process inherits the runtime's stdio; a pipe of ours would keep our caller waiting for it
  const child = runtime.spawn(['exec', ...flags, record.id, ...command],
    opts.detach ? ['ignore', 'ignore', 'ignore'] : [opts.interactive || opts.tty ? 'inherit' : 'ignore', 'inherit', 'inherit']);
  // the runtime forwards signals to the process; we only wait for it
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  try {
    const code = await new Promise<number>((resolve) => {
      child.on('close', (c, signal) => resolve(exitStatus(c, signal)));
      child.on('error', (err) => {
        process.stderr.write(`tslab: cannot run the runtime ${record.runtime}: ${err.message}\n`);
        resolve(127);
      });
    });
    if (opts.detach && code !== 0) throw new Error(`${record.runtime} exec --detach failed with status ${code}: run the command without -d to see its error`);
    return code;
  } finally {
    process.off('SIGINT', ignore);
  }
}
