// Containers like docker's: create (record + options), start (mount the overlay, write the
// bundle, hand it to the runtime), and everything after: state, stop, kill, pause, exec, rm.
//
// A detached container is watched by a small monitor (src/container/shim.ts): the container
// writes straight into its log file, and the monitor records the exit status, deletes the
// runtime state and unmounts the rootfs when it ends. No Node process stays behind.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { loadConfig } from '../config/config.js';
import { ensureImage } from '../image/index.js';
import { writeKernelFile } from '../runtime/sys/index.js';
import { buildSpec } from './bundle.js';
import { buildOptions, type RunFlags } from './options.js';
import {
  containerDir, findRecord, newContainerId, randomName, readRecord, saveRecord, validateName, type ContainerRecord,
} from './record.js';
import { mountRootfs, rootfsPaths, unmountRootfs, isMounted } from './rootfs.js';
import { Runtime, defaultRuntimePath, packageRoot, resolveRuntime, runtimeEnv, traceFds } from './runtime.js';
import { attachNetwork, checkNetwork, onBridge, prepareNetwork, releaseNetwork } from './network.js';
import type { FileMount } from '../net/index.js';
import type { Hook } from '../oci/spec.js';
import { shimCommand } from './shim.js';
import { snapshotFs } from '../image/snapshots.js';
import { openStore } from '../image/index.js';

export function dataRoot(): string {
  return loadConfig().dataRoot;
}

export function runtimeFor(record: ContainerRecord): Runtime {
  return new Runtime(record.runtime, dataRoot());
}

export function logPath(record: ContainerRecord): string {
  return join(containerDir(dataRoot(), record.id), 'container.log');
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a monitor we spawned and have not reaped yet (our event loop is busy) is a zombie: it is done
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Creates a container from an image (pulling or building it when needed). Nothing runs yet. */
export async function createContainer(imageRef: string, command: string[], flags: RunFlags): Promise<ContainerRecord> {
  const root = dataRoot();
  const name = flags.name ?? randomName(root);
  validateName(root, name);
  const runtime = resolveRuntime(flags.runtime ?? loadConfig().runtime);
  const image = await ensureImage(imageRef);
  const options = buildOptions(flags, image.config, command);
  checkNetwork(options);
  const record: ContainerRecord = {
    id: newContainerId(),
    name,
    image: image.names[0] ?? imageRef,
    imageId: image.configDigest,
    manifestDigest: image.manifestDigest,
    chainIds: image.chainIds,
    created: new Date().toISOString(),
    runtime,
    options,
    state: { status: 'created' },
  };
  saveRecord(root, record);
  return record;
}

/** Mounts the rootfs and writes config.json; returns the bundle folder. */
export function prepareBundle(record: ContainerRecord, netMounts?: FileMount[], opts: { networkHook?: boolean } = {}): string {
  const root = dataRoot();
  const dir = containerDir(root, record.id);
  const store = openStore(root);
  const lowers = [...record.chainIds].reverse().map((c) => snapshotFs(store, c));
  for (const l of lowers) {
    if (!existsSync(l)) throw new Error(`snapshot ${l} of image ${record.image} is missing; pull the image again`);
  }
  mountRootfs(dir, lowers);
  try {
    const spec = buildSpec(root, dir, record, netMounts);
    if (opts.networkHook) spec.hooks = { ...spec.hooks, createRuntime: [...(spec.hooks?.createRuntime ?? []), networkHook(record)] };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  } catch (err) {
    unmountRootfs(dir);
    throw err;
  }
  return dir;
}

/** runc logs `time="…" level=error msg="…"`: keep the message. */
export function runtimeMessage(line: string): string {
  const m = /level=\w+ msg="((?:[^"\\]|\\.)*)"/.exec(line);
  return m ? m[1]!.replace(/\\"/g, '"') : line;
}

function readExitFile(dir: string): { code: number; at: string } | undefined {
  try {
    const [code, at] = readFileSync(join(dir, 'exit'), 'utf8').trim().split(' ');
    return { code: Number(code), at: at ?? new Date().toISOString() };
  } catch {
    return undefined;
  }
}

/** Freezer state of the container's cgroup: v1 freezer.state or v2 cgroup.freeze. */
function freezerFile(pid: number): { path: string; frozen: string; thawed: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers?.split(',').includes('freezer')) {
      return { path: `/sys/fs/cgroup/freezer${path}/freezer.state`, frozen: 'FROZEN', thawed: 'THAWED' };
    }
  }
  const unified = text.split('\n').find((l) => l.startsWith('0::'));
  if (unified && existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    return { path: `/sys/fs/cgroup${unified.slice(3)}/cgroup.freeze`, frozen: '1', thawed: '0' };
  }
  return undefined;
}

function isFrozen(pid: number): boolean {
  const f = freezerFile(pid);
  if (!f) return false;
  try {
    return readFileSync(f.path, 'utf8').trim() === f.frozen;
  } catch {
    return false;
  }
}

/** Brings the record's state up to date with the exit file, the monitor and the freezer. */
export function refresh(record: ContainerRecord): ContainerRecord {
  const root = dataRoot();
  const dir = containerDir(root, record.id);
  const s = record.state;
  if (s.status === 'running' || s.status === 'paused') {
    const exit = readExitFile(dir);
    if (exit) {
      record.state = { ...s, status: 'exited', exitCode: exit.code, finishedAt: exit.at, pid: undefined };
      saveRecord(root, record);
    } else if (!alive(s.monitorPid)) {
      record.state = { ...s, status: 'exited', exitCode: s.exitCode ?? 255, finishedAt: new Date().toISOString(), error: 'its monitor process went away', pid: undefined };
      saveRecord(root, record);
    } else {
      record.state.status = s.pid && isFrozen(s.pid) ? 'paused' : 'running';
    }
  }
  return record;
}

export function find(query: string): ContainerRecord {
  return refresh(findRecord(dataRoot(), query));
}

async function waitUntil(what: string, fn: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    if (fn()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, delay));
    void what;
  }
}



/** The init's pid from the runtime's --pid-file, once create has written it. */
function readPidFile(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dir, 'init.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** While a student steps through a run (--step) a create can take as long as they like. */
function patienceMs(normal: number): number {
  return process.env.TSLAB_CONTROL_FD ? Number.POSITIVE_INFINITY : normal;
}

/** What the monitor needs to release the network when the container ends on its own. */
function networkEnv(record: ContainerRecord): NodeJS.ProcessEnv {
  if (!onBridge(record.options)) return {};
  return {
    TSLAB_NODE: process.execPath, TSLAB_BIN: join(packageRoot(), 'bin', 'tslab'), TSLAB_DATA_ROOT: dataRoot(),
    ...(process.env.TSLAB_CONFIG ? { TSLAB_CONFIG: process.env.TSLAB_CONFIG } : {}),
  };
}

/**
 * For `run -t` (the runtime's one-step `run`, see runForeground): an OCI createRuntime hook — run
 * by the runtime after the namespaces exist, before the program starts — attaches the network, the
 * way docker's engine once did with libnetwork-setkey as a prestart hook.
 */
function networkHook(record: ContainerRecord): Hook {
  const env = [`PATH=${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, `TSLAB_DATA_ROOT=${dataRoot()}`];
  if (process.env.TSLAB_CONFIG) env.push(`TSLAB_CONFIG=${process.env.TSLAB_CONFIG}`);
  return { path: process.execPath, args: [process.execPath, join(packageRoot(), 'bin', 'tslab'), 'container', 'network-hook', record.id], env, timeout: 30 };
}

/** The network first (its files are bind-mounted), then the overlay and config.json. */
function prepareWithNetwork(record: ContainerRecord, opts: { networkHook?: boolean } = {}): string {
  const netMounts = prepareNetwork(record);
  try {
    return prepareBundle(record, netMounts, opts);
  } catch (err) {
    releaseNetwork(record.id);
    throw err;
  }
}

/** Spawns the monitor (src/container/shim.ts) with the go pipe at fd 3 and the trace pipes at 4, 5. */
function spawnMonitor(record: ContainerRecord, dir: string, foreground: boolean): ChildProcess {
  const runtime = runtimeFor(record);
  for (const stale of ['exit', 'started', 'init.pid', 'start.result']) rmSync(join(dir, stale), { force: true });
  const monitor = shimCommand();
  const trace = traceFds(4);
  const o = record.options;
  const stdio: StdioOptions = foreground
    ? [o.stdin ? 'inherit' : 'ignore', 'pipe', 'pipe', 'pipe', ...trace.stdio]
    : ['ignore', 'ignore', 'ignore', 'pipe', ...trace.stdio];
  return spawn(monitor.program, monitor.args, {
    detached: !foreground,
    stdio,
    env: {
      ...runtimeEnv(),
      ...monitor.extraEnv,
      ...trace.env,
      ...(foreground ? { TSLAB_FG: '1' } : networkEnv(record)),
      TSLAB_GO_FD: '3',
      TSLAB_RT: record.runtime, TSLAB_RT_ROOT: runtime.root, TSLAB_DIR: dir, TSLAB_ID: record.id,
      TSLAB_RM: !foreground && o.autoRemove ? '1' : '0', TSLAB_LOG_MAX: String(loadConfig().logMaxSize),
    },
  });
}

/**
 * create → attach → start: waits until the monitor's `create` wrote the init's pid, gives the
 * init's network namespace its network, then tells the monitor to start. Resolves with the pid,
 * or undefined when create failed (the monitor records that and cleans up). If the network
 * cannot be attached the monitor deletes the created container and this throws.
 */
async function createAttachStart(record: ContainerRecord, dir: string, monitor: ChildProcess): Promise<number | undefined> {
  const go = monitor.stdio[3] as Socket;
  go.on('error', () => {}); // the monitor may be gone already
  let exited = monitor.exitCode !== null || monitor.signalCode !== null;
  monitor.once('exit', () => (exited = true));
  let pid: number | undefined;
  const tell = (word: string): void => {
    go.end(`${word}\n`, () => go.destroy());
    go.unref();
  };
  const ok = await waitUntil('create', () => (pid = readPidFile(dir)) !== undefined || exited || existsSync(join(dir, 'exit')), patienceMs(60_000));
  if (pid === undefined) {
    tell('abort');
    if (!ok) throw new Error(`container ${record.name}: the runtime's create did not finish within 60 s (runtime ${record.runtime})`);
    return undefined;
  }
  try {
    attachNetwork(record, pid);
  } catch (err) {
    tell('abort');
    await waitUntil('the monitor to clean up', () => existsSync(join(dir, 'exit')) || exited, 30_000);
    releaseNetwork(record.id);
    throw new Error(`container ${record.name}: cannot attach it to network ${record.options.network}: ${(err as Error).message}`);
  }
  tell('start');
  return pid;
}

/** Starts a created container in the background under the monitor; resolves once it runs. */
export async function startDetached(record: ContainerRecord): Promise<ContainerRecord> {
  const root = dataRoot();
  const dir = prepareWithNetwork(record);
  const shim = spawnMonitor(record, dir, false);
  shim.unref();
  record.state = { status: 'running', monitorPid: shim.pid, startedAt: new Date().toISOString() };
  saveRecord(root, record);
  const pid = await createAttachStart(record, dir, shim);
  const result = join(dir, 'start.result');
  const ok = await waitUntil('the container to start', () => existsSync(result) || existsSync(join(dir, 'exit')) || !existsSync(dir), patienceMs(30_000));
  if (!existsSync(dir)) return { ...record, state: { ...record.state, status: 'exited' } };
  let started = false;
  try {
    started = pid !== undefined && readFileSync(result, 'utf8').trim() === 'ok';
  } catch {
    // no result: create or start failed
  }
  if (!started) {
    if (!ok) throw new Error(`container ${record.name} did not start within 30 s (runtime ${record.runtime})`);
    await waitUntil('the monitor to finish', () => existsSync(join(dir, 'exit')) || !existsSync(dir), 30_000);
    const exit = readExitFile(dir);
    const log = existsSync(join(dir, 'container.log')) ? readFileSync(join(dir, 'container.log'), 'utf8').trim().split('\n').pop() : '';
    record.state = { ...record.state, status: 'exited', exitCode: exit?.code ?? 255, finishedAt: exit?.at ?? new Date().toISOString() };
    saveRecord(root, record);
    releaseNetwork(record.id);
    if (record.options.autoRemove) removeContainer(record, true);
    if (log) throw new Error(`container ${record.name} failed to start: ${runtimeMessage(log)}`);
    return record;
  }
  writeFileSync(join(dir, 'started'), '');
  if (record.options.autoRemove && existsSync(join(dir, 'exit')) && !alive(shim.pid)) {
    removeContainer(record, true); // it ended before the shim could see the marker
    return record;
  }
  record.state.pid = pid;
  saveRecord(root, record);
  return record;
}

/**
 * Runs a created container in the foreground, its output on our stdout/stderr and in the log.
 * Without -t: the monitor in foreground mode (create → network → start, it reaps the init and
 * exits with its status). With -t: the runtime's `run` with our terminal — a runtime cannot
 * `create` with a terminal without a console socket — and the network comes from a createRuntime
 * hook (networkHook). Resolves with the exit code.
 */
export async function runForeground(record: ContainerRecord): Promise<number> {
  const root = dataRoot();
  const o = record.options;
  const dir = prepareWithNetwork(record, { networkHook: o.tty && o.network !== 'host' });
  const runtime = runtimeFor(record);
  const notePid = (pid: number): void => {
    const current = readRecord(root, record.id);
    if (current && current.state.status === 'running') {
      current.state.pid = pid;
      saveRecord(root, current);
    }
  };
  if (!o.tty && record.runtime === defaultRuntimePath()) {
    // ours: its lifecycle in this process (src/container/run-in-process.ts), no monitor, no runtime boots
    record.state = { status: 'running', monitorPid: process.pid, startedAt: new Date().toISOString() };
    saveRecord(root, record);
    const { runInProcess } = await import('./run-in-process.js');
    const log = openSync(join(dir, 'container.log'), 'a');
    const { code, failure } = await runInProcess(record, dir, runtime.root, log, notePid).finally(() => closeSync(log));
    return finishForeground(record, dir, code, failure);
  }
  const child = o.tty ? runtime.spawnRun(dir, record.id, 'inherit') : spawnMonitor(record, dir, true);
  record.state = { status: 'running', monitorPid: process.pid, startedAt: new Date().toISOString() };
  saveRecord(root, record);
  const log = openSync(join(dir, 'container.log'), 'a');
  child.stdout?.on('data', (c: Buffer) => {
    process.stdout.write(c);
    writeSync(log, c);
  });
  child.stderr?.on('data', (c: Buffer) => {
    process.stderr.write(c);
    writeSync(log, c);
  });
  const forward = (signal: NodeJS.Signals): void => {
    try {
      runtime.kill(record.id, signal);
    } catch {
      // already gone, or not created yet
    }
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward); // the terminal closed: the container hangs up too, then is cleaned up
  const closed = new Promise<number>((resolve) => {
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 + (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 } as Record<string, number>)[signal] ?? 1) : 1)));
    child.on('error', (err) => {
      process.stderr.write(`tslab: cannot run ${o.tty ? `the runtime ${record.runtime}` : 'the container monitor'}: ${err.message}\n`);
      resolve(127);
    });
  });
  let failure: Error | undefined;
  if (o.tty) {
    // learn the init's PID for exec and pause while it runs (the hook attached its network)
    void waitUntil('state', () => {
      const s = runtime.state(record.id);
      if (s?.pid) notePid(s.pid);
      return s?.pid !== undefined || child.exitCode !== null;
    }, 10_000);
  } else {
    try {
      const pid = await createAttachStart(record, dir, child);
      if (pid !== undefined) notePid(pid);
    } catch (err) {
      failure = err as Error;
    }
  }
  const code = await closed;
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  process.off('SIGHUP', forward);
  closeSync(log);
  runtime.deleteForce(record.id);
  return finishForeground(record, dir, code, failure);
}

/** After a foreground run: the rootfs, the network, the record's exit status, --rm. */
function finishForeground(record: ContainerRecord, dir: string, code: number, failure: Error | undefined): number {
  const root = dataRoot();
  unmountRootfs(dir);
  releaseNetwork(record.id);
  const current = readRecord(root, record.id) ?? record;
  current.state = { ...current.state, status: 'exited', exitCode: code, finishedAt: new Date().toISOString(), pid: undefined };
  saveRecord(root, current);
  if (record.options.autoRemove) removeContainer(current, true);
  if (failure) throw failure;
  return code;
}

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
  if (!(await waitUntil('stop', gone, timeoutSec * 1000))) {
    try {
      runtime.kill(record.id, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
    if (!(await waitUntil('kill', gone, 15_000))) throw new Error(`container ${record.name} did not stop after SIGKILL`);
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

export async function setPaused(record: ContainerRecord, paused: boolean): Promise<void> {
  refresh(record);
  const want = paused ? 'running' : 'paused';
  if (record.state.status !== want) {
    throw new UsageError(`container ${record.name} is ${record.state.status}, not ${want}: nothing to ${paused ? 'pause' : 'unpause'}`);
  }
  const f = record.state.pid ? freezerFile(record.state.pid) : undefined;
  if (!f || !existsSync(f.path)) throw new Error(`cannot find the freezer of container ${record.name}: is the freezer cgroup controller mounted?`);
  writeKernelFile(f.path, paused ? f.frozen : f.thawed, paused ? 'cgroup-freeze' : 'cgroup-thaw');
  const ok = await waitUntil('freezer', () => readFileSync(f.path, 'utf8').trim() === (paused ? f.frozen : f.thawed), 10_000);
  if (!ok) throw new Error(`container ${record.name} did not ${paused ? 'freeze' : 'thaw'} within 10 s`);
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
    if (record.state.status === 'paused') {
      try {
        const f = record.state.pid ? freezerFile(record.state.pid) : undefined;
        if (f) writeKernelFile(f.path, f.thawed, 'cgroup-thaw');
      } catch {
        // SIGKILL works on a frozen task anyway
      }
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
export async function execInContainer(record: ContainerRecord, command: string[], opts: { tty?: boolean; interactive?: boolean; user?: string; env?: string[]; workdir?: string }): Promise<number> {
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
  const runtime = runtimeFor(record);
  const child = spawn(record.runtime, runtime.args('exec', ...flags, record.id, ...command), {
    stdio: [opts.interactive || opts.tty ? 'inherit' : 'ignore', 'inherit', 'inherit'],
    env: runtimeEnv(),
  });
  // the runtime forwards signals to the process; we only wait for it
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  try {
    return await new Promise<number>((resolve) => {
      child.on('close', (c, signal) => resolve(c ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
      child.on('error', (err) => {
        process.stderr.write(`tslab: cannot run the runtime ${record.runtime}: ${err.message}\n`);
        resolve(127);
      });
    });
  } finally {
    process.off('SIGINT', ignore);
  }
}
