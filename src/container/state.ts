// A container's live state: its record brought up to date with what the monitor left on disk (the
// exit file), whether the monitor still runs, and whether the container's cgroup is frozen.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadConfig } from '../config/config.js';
import { cgroupManager, cgroupMode, type CgroupManager } from '../runtime/cgroups/index.js';
import { containerDir, findRecord, saveRecord, type ContainerRecord } from './record.js';
import { RuntimeCli } from '../oci/runtime-cli.js';
import { processAlive } from '../runtime/proc.js';

export function dataRoot(): string {
  return loadConfig().dataRoot;
}

export function runtimeFor(record: ContainerRecord): RuntimeCli {
  // each runtime keeps its own state folder: their formats differ
  const root = join(dataRoot(), 'runtime', basename(record.runtime));
  mkdirSync(root, { recursive: true, mode: 0o700 });
  return new RuntimeCli(record.runtime, root);
}

/**
 * The files in a container's folder through which its monitor and tslab talk, named here once (the
 * monitor programs get their paths in the environment, see monitorEnv in monitor.ts).
 */
export const MONITOR_FILES = {
  /** what the container wrote (detached: the container writes it itself) */
  log: 'container.log',
  /** the init's pid, written by the runtime's create (--pid-file) */
  pidFile: 'init.pid',
  /** "ok" or "failed": whether the runtime's start worked */
  startResult: 'start.result',
  /** tslab saw the container start (until then --rm keeps the folder, to report a failure) */
  started: 'started',
  /** "<status> <ISO time>" once the container ended */
  exit: 'exit',
} as const;

export function monitorFile(dir: string, file: keyof typeof MONITOR_FILES): string {
  return join(dir, MONITOR_FILES[file]);
}

export function logPath(record: ContainerRecord): string {
  return monitorFile(containerDir(dataRoot(), record.id), 'log');
}

/** Whether a pid runs: a zombie (a monitor we spawned and have not reaped yet) is done. */
/** Whether a pid runs; a monitor we spawned and have not reaped yet (a zombie) counts as done. */
export const alive = (pid: number | undefined): boolean => processAlive(pid);

/** The exit record the monitor wrote: the status and when. */
export function readExitFile(dir: string): { code: number; at: string } | undefined {
  try {
    const [code, at] = readFileSync(monitorFile(dir, 'exit'), 'utf8').trim().split(' ');
    return { code: Number(code), at: at ?? new Date().toISOString() };
  } catch {
    return undefined;
  }
}

/**
 * The cgroup a container's init is in, as a manager: its freezer cgroup on v1, its unified one on v2
 * (whichever runtime made it, and wherever that runtime put it).
 */
export function containerCgroup(pid: number): CgroupManager | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  const mode = cgroupMode();
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (mode === 'v1' ? controllers.split(',').includes('freezer') : controllers === '') return cgroupManager(path);
  }
  return undefined;
}

/** v1 freezer.state FROZEN, or v2 cgroup.freeze 1. */
function isFrozen(pid: number): boolean {
  const cgroup = containerCgroup(pid);
  if (!cgroup) return false;
  const [file, frozen] = cgroup.mode === 'v1' ? ['freezer.state', 'FROZEN'] : ['cgroup.freeze', '1'];
  const path = cgroup.dirs().map((d) => join(d, file)).find((p) => existsSync(p));
  try {
    return path !== undefined && readFileSync(path, 'utf8').trim() === frozen;
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

/** Polls fn with a growing delay; false when timeoutMs passed first. */
export async function waitUntil(fn: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    if (fn()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, delay));
  }
}
