// Running a container under its monitor (src/container/shim.ts): spawn it, then create → go → start.
// The monitor runs the runtime's create; tslab waits for the init's pid, attaches the network to the
// init's network namespace, and says `start` (or `abort`) on the go pipe. Detached, the monitor then
// outlives tslab: the container writes straight into its log, and the monitor records the exit
// status, deletes the runtime state and unmounts the rootfs when it ends. No Node process stays behind.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Socket } from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/config.js';
import { ENV, EVENTS_FD } from '../env.js';
import { prepareWithNetwork } from './create.js';
import { attachNetwork, onBridge, releaseNetwork } from './network.js';
import { saveRecord, type ContainerRecord } from './record.js';
import { rootfsPaths } from './rootfs.js';
import { packageRoot, runtimeEnv, runtimeMessage, traceFds } from '../oci/runtime-cli.js';
import { shimCommand } from './shim.js';
import { alive, dataRoot, monitorFile, readExitFile, runtimeFor, waitUntil } from './state.js';
import { removeContainer } from './verbs.js';

/** The fd of the go pipe in the monitor. */
const GO_FD = 3;
/** What tslab says on the go pipe once create is done: start the container, or delete it. */
export type GoWord = 'start' | 'abort';


/** The init's pid from the runtime's --pid-file, once create has written it. */
function readPidFile(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(monitorFile(dir, 'pidFile'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** While a student steps through a run (--step) a create can take as long as they like. */
function patienceMs(normal: number): number {
  return process.env[ENV.CONTROL_FD] ? Number.POSITIVE_INFINITY : normal;
}

/** What the monitor needs to release the network when the container ends on its own. */
function networkEnv(record: ContainerRecord): NodeJS.ProcessEnv {
  if (!onBridge(record.options)) return {};
  const config = process.env[ENV.CONFIG];
  return {
    [ENV.NODE]: process.execPath, [ENV.BIN]: join(packageRoot(), 'bin', 'tslab'), [ENV.DATA_ROOT]: dataRoot(),
    ...(config ? { [ENV.CONFIG]: config } : {}),
  };
}

/** The monitor's whole environment but the runtime's and the trace pipes'. */
function monitorEnv(record: ContainerRecord, dir: string, foreground: boolean): NodeJS.ProcessEnv {
  return {
    ...(foreground ? { [ENV.FG]: '1' } : networkEnv(record)),
    [ENV.GO_FD]: String(GO_FD),
    [ENV.RT]: record.runtime, [ENV.RT_ROOT]: runtimeFor(record).root, [ENV.DIR]: dir, [ENV.ID]: record.id,
    [ENV.RM]: !foreground && record.options.autoRemove ? '1' : '0', [ENV.LOG_MAX]: String(loadConfig().logMaxSize),
    [ENV.LOG]: monitorFile(dir, 'log'), [ENV.PID_FILE]: monitorFile(dir, 'pidFile'), [ENV.EXIT_FILE]: monitorFile(dir, 'exit'),
    [ENV.START_RESULT]: monitorFile(dir, 'startResult'), [ENV.STARTED]: monitorFile(dir, 'started'),
    [ENV.ROOTFS]: rootfsPaths(dir).rootfs,
    // npm run test:coverage follows the runtime the monitor starts too
    ...(process.env.NODE_V8_COVERAGE ? { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE } : {}),
  };
}

/** Spawns the monitor with the go pipe at GO_FD and the trace pipes where every process of a run has them. */
export function spawnMonitor(record: ContainerRecord, dir: string, foreground: boolean): ChildProcess {
  for (const stale of ['exit', 'started', 'pidFile', 'startResult'] as const) rmSync(monitorFile(dir, stale), { force: true });
  const monitor = shimCommand();
  const trace = traceFds(EVENTS_FD);
  const o = record.options;
  const first: StdioOptions = foreground ? [o.stdin ? 'inherit' : 'ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'ignore', 'ignore', 'pipe'];
  const stdio: StdioOptions = [...first];
  if (trace.stdio.length > 0) {
    while (stdio.length < EVENTS_FD) stdio.push('ignore');
    stdio.push(...trace.stdio);
  }
  return spawn(monitor.program, monitor.args, {
    detached: !foreground,
    stdio,
    env: { ...runtimeEnv(), ...monitor.extraEnv, ...trace.env, ...monitorEnv(record, dir, foreground) },
  });
}

/**
 * create → attach → start: waits until the monitor's `create` wrote the init's pid, gives the
 * init's network namespace its network, then tells the monitor to start. Resolves with the pid,
 * or undefined when create failed (the monitor records that and cleans up). If the network
 * cannot be attached the monitor deletes the created container and this throws.
 */
export async function createAttachStart(record: ContainerRecord, dir: string, monitor: ChildProcess): Promise<number | undefined> {
  const go = monitor.stdio[GO_FD] as Socket;
  go.on('error', () => {}); // the monitor may be gone already
  let exited = monitor.exitCode !== null || monitor.signalCode !== null;
  monitor.once('exit', () => (exited = true));
  const exitFile = monitorFile(dir, 'exit');
  let pid: number | undefined;
  const tell = (word: GoWord): void => {
    go.end(`${word}\n`, () => go.destroy());
    go.unref();
  };
  const ok = await waitUntil(() => (pid = readPidFile(dir)) !== undefined || exited || existsSync(exitFile), patienceMs(60_000));
  if (pid === undefined) {
    tell('abort');
    if (!ok) throw new Error(`container ${record.name}: the runtime's create did not finish within 60 s (runtime ${record.runtime})`);
    return undefined;
  }
  try {
    attachNetwork(record, pid);
  } catch (err) {
    tell('abort');
    await waitUntil(() => existsSync(exitFile) || exited, 30_000);
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
  const result = monitorFile(dir, 'startResult');
  const exitFile = monitorFile(dir, 'exit');
  const ok = await waitUntil(() => existsSync(result) || existsSync(exitFile) || !existsSync(dir), patienceMs(30_000));
  if (!existsSync(dir)) return { ...record, state: { ...record.state, status: 'exited' } };
  let started = false;
  try {
    started = pid !== undefined && readFileSync(result, 'utf8').trim() === 'ok';
  } catch {
    // no result: create or start failed
  }
  if (!started) {
    if (!ok) throw new Error(`container ${record.name} did not start within 30 s (runtime ${record.runtime})`);
    await waitUntil(() => existsSync(exitFile) || !existsSync(dir), 30_000);
    const exit = readExitFile(dir);
    const logFile = monitorFile(dir, 'log');
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').pop() : '';
    record.state = { ...record.state, status: 'exited', exitCode: exit?.code ?? 255, finishedAt: exit?.at ?? new Date().toISOString() };
    saveRecord(root, record);
    releaseNetwork(record.id);
    if (record.options.autoRemove) removeContainer(record, true);
    if (log) throw new Error(`container ${record.name} failed to start: ${runtimeMessage(log)}`);
    return record;
  }
  writeFileSync(monitorFile(dir, 'started'), '');
  if (record.options.autoRemove && existsSync(exitFile) && !alive(shim.pid)) {
    removeContainer(record, true); // it ended before the shim could see the marker
    return record;
  }
  record.state.pid = pid;
  saveRecord(root, record);
  return record;
}
