// create: everything up to the point where the init waits on exec.fifo. A create that fails at any
// step kills the init, removes the cgroup and the state directory: nothing is left behind.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tracer } from '../../tracer/tracer.js';
import { CLONE, NAMESPACES, sys, writeKernelFile } from '../sys/index.js';
import { cgroupManagerFor, cgroupMode, type CgroupManager } from '../cgroups/index.js';
import { readPids } from '../cgroups/files.js';
import { ensureRoot, ociState, processStartTime, stateDir, writeState, checkId, type ContainerState } from '../state.js';
import type { InitConfig } from '../init/config.js';
import type { Resources, Spec } from '../../oci/spec.js';
import { loadBundle, type LoadedBundle } from './bundle.js';
import { runHooks } from './hooks.js';
import { spawnInit, type RunningInit } from './spawn-init.js';
import { connectConsoleSocket } from '../console.js';
import { closeQuietly } from '../terminal.js';
import { writeFileAtomic } from '../../write-atomic.js';

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  stdio?: SpawnStdio;
  controlFd?: number;
  /** the bundle when the caller has read and validated it already (run does, to see process.terminal) */
  loaded?: LoadedBundle;
  /** process.terminal: the init hands its pty master to this unix socket (an engine's) … */
  consoleSocket?: string;
  /** … or over this already connected one (run in the foreground, which relays it) */
  consoleFd?: number;
  /** this process starts the container itself: when its tracer has no sink and does not step, the init traces nothing up */
  startsItself?: boolean;
}

export type SpawnStdio = [number | 'inherit' | 'ignore' | 'pipe', number | 'inherit' | 'ignore' | 'pipe', number | 'inherit' | 'ignore' | 'pipe'];

export interface Created {
  state: ContainerState;
  init: RunningInit;
}

export class AlreadyExistsError extends Error {
  constructor(id: string) {
    super(`container with id "${id}" already exists: pick another id or \`delete\` the old one`);
  }
}

export function writePidFile(path: string, pid: number): void {
  // The bare number, no newline, written atomically: engines read it as soon as create returns.
  writeFileAtomic(path, String(pid));
}

/** The devices config.json creates must also be allowed by the device cgroup, or mknod/open fails. */
function withConfiguredDevices(spec: Spec): Resources | undefined {
  const resources = spec.linux?.resources;
  const devices = spec.linux?.devices ?? [];
  if (!resources?.devices || devices.length === 0) return resources;
  const allow = devices.filter((d) => d.type !== 'p').map((d) => ({
    allow: true, type: d.type === 'u' ? 'c' : d.type, major: d.major, minor: d.minor, access: 'rwm',
  }));
  return { ...resources, devices: [...resources.devices, ...allow] };
}

export async function createContainer(options: CreateOptions): Promise<Created> {
  checkId(options.id);
  const { bundle, spec, rootfs } = options.loaded ?? loadBundle(options.bundle);
  ensureRoot(options.root);
  const dir = stateDir(options.root, options.id);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new AlreadyExistsError(options.id);
    throw err;
  }
  tracer.container = options.id;
  tracer.point('lifecycle', 'state.creating', { id: options.id, bundle }, `creating ${options.id}`);

  let cgroup: CgroupManager | undefined;
  let preexisting: string[] = [];
  let init: RunningInit | undefined;
  let consoleFd: number | undefined;
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
    const fifo = join(dir, 'exec.fifo');
    sys.mkfifo(fifo, 0o622);
    // The umask took the write bits: give them back so a user-namespaced init (not host root) can open it.
    chmodSync(fifo, 0o622);
    cgroup = cgroupManagerFor(spec.linux?.cgroupsPath, options.id);
    // cgroupsPath may name a cgroup that someone else's processes are in: join it, never destroy it
    preexisting = cgroup.dirs().filter((d) => readPids(d).length > 0);
    // Written before anything is made, so that `delete --force` of a create killed half-way (by
    // a signal it cannot catch) still finds the cgroup to remove. No pid yet.
    const state: ContainerState = {
      ociVersion: spec.ociVersion, id: options.id, status: 'creating', pid: 0, bundle,
      annotations: spec.annotations, created: new Date().toISOString(), cgroupPath: cgroup.path, rootfs,
      ...(preexisting.length > 0 ? { cgroupPreexisting: preexisting } : {}),
    };
    writeState(options.root, state);

    const namespaces = spec.linux?.namespaces ?? [];
    let unshareFlags = 0;
    const joins: InitConfig['joins'] = [];
    for (const ns of namespaces) {
      if (ns.type === 'pid' || ns.type === 'user') continue;
      if (ns.path) joins.push({ type: ns.type, path: ns.path });
      else unshareFlags |= NAMESPACES[ns.type as keyof typeof NAMESPACES].flag;
    }
    const pidNs = namespaces.find((n) => n.type === 'pid');
    const userNs = namespaces.find((n) => n.type === 'user');
    if (spec.hostname && !(unshareFlags & CLONE.CLONE_NEWUTS) && !joins.some((j) => j.type === 'uts')) {
      throw new Error('config.json: hostname: setting a hostname needs a uts namespace of the container\'s own (add {"type": "uts"})');
    }
    const initConfig: InitConfig = {
      id: options.id, bundle, rootfs, stateDir: dir, fifo, spec, unshareFlags, joins,
      inUserNamespace: userNs !== undefined, cgroupMode: cgroupMode(), cgroupPath: cgroup.path,
      ...(options.startsItself && !tracer.active && !tracer.stepping ? { traceUp: false } : {}),
    };

    if (spec.process?.terminal) consoleFd = options.consoleFd ?? (options.consoleSocket ? connectConsoleSocket(options.consoleSocket) : undefined);
    init = spawnInit({
      config: JSON.stringify(initConfig), fifoPath: fifo,
      newPidNamespace: pidNs !== undefined && !pidNs.path,
      joinPidNamespace: pidNs?.path,
      newUserNamespace: userNs !== undefined && !userNs.path,
      joinUserNamespace: userNs?.path,
      uidMappings: spec.linux?.uidMappings,
      gidMappings: spec.linux?.gidMappings,
      // with a terminal the init's stdio becomes the pty it makes; until then, nothing
      stdio: consoleFd !== undefined ? ['ignore', 'ignore', 'ignore'] : options.stdio ?? ['inherit', 'inherit', 'inherit'],
      consoleFd,
      controlFd: options.controlFd,
    });
    // Node boots in the init for some tens of milliseconds: make the cgroup meanwhile.
    cgroup.create();
    cgroup.apply(withConfiguredDevices(spec));
    await init.booted;
    const pid = init.hostPid;
    // Only now, with Node booted, is it safe to put the init under small pids/memory limits.
    const joinCgroup = (): void => {
      cgroup!.addProcess(pid);
      if (init!.child.pid !== pid) cgroup!.addProcess(init!.child.pid!);
      if (spec.process?.oomScoreAdj !== undefined) {
        writeKernelFile(`/proc/${pid}/oom_score_adj`, String(spec.process.oomScoreAdj), 'oom_score_adj.write');
      }
    };
    // go, with the pid the host knows the init by (inside its pid namespace it is 1). The init makes
    // its namespaces and mounts while we move it into the cgroup (the kernel makes the first write to
    // cgroup.procs wait ~10 ms); it waits for "joined" before it makes its cgroup namespace. Not when
    // a TUI steps through the run: one process at a time may wait at the gate, the screen shows one.
    const overlap = !tracer.stepping;
    if (!overlap) joinCgroup();
    init.send({ msg: 'go', hostPid: pid });
    if (overlap) joinCgroup();
    init.send({ msg: 'joined' });

    state.pid = pid;
    state.pidStartTime = processStartTime(pid);
    writeState(options.root, state);

    const mounted = await init.next();
    if (mounted.msg !== 'mounted') throw new Error(mounted.msg === 'error' ? mounted.error : `unexpected ${mounted.msg}`);
    const hookState = ociState(state);
    await runHooks('prestart', spec.hooks?.prestart, hookState);
    await runHooks('createRuntime', spec.hooks?.createRuntime, hookState);
    init.send({ msg: 'hook-state', state: hookState });

    const created = await init.next();
    if (created.msg !== 'created') throw new Error(created.msg === 'error' ? created.error : `unexpected ${created.msg}`);
    state.status = 'created';
    writeState(options.root, state);
    if (options.pidFile) writePidFile(options.pidFile, pid);
    tracer.point('lifecycle', 'state.created', { id: options.id, pid }, `created ${options.id} (init pid ${pid})`);
    return { state, init };
  } catch (err) {
    if (init) {
      for (const pid of new Set([init.hostPid, init.child.pid ?? 0])) {
        try {
          if (pid > 0) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await init.exited;
    }
    if (cgroup) await cgroup.destroy(preexisting).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    // the socket we connected to an engine's console socket: the init has its copy
    if (options.consoleSocket && consoleFd !== undefined) closeQuietly(consoleFd);
  }
}
