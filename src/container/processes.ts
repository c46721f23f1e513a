// What runs in a container, read from the host: its processes (the cgroup of its init, /proc) for
// `top`, and its resource use (src/runtime/cgroups' reader, /proc/PID/net/dev) for `stats`.
import { readFileSync, readlinkSync } from 'node:fs';
import { cgroupManager, cgroupMode, type CgroupStats } from '../runtime/cgroups/index.js';
import { UsageError } from '../errors.js';
import type { ContainerRecord } from './record.js';

function running(record: ContainerRecord): number {
  if ((record.state.status !== 'running' && record.state.status !== 'paused') || !record.state.pid) {
    throw new UsageError(`container ${record.name} is not running (${record.state.status})`);
  }
  return record.state.pid;
}

/** The init's cgroup path, relative to the hierarchy root (the pids controller's on v1). */
function cgroupOf(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  if (cgroupMode() === 'v2') return lines.find((l) => l.startsWith('0::'))!.slice(3);
  const line = lines.find((l) => l.split(':')[1]?.split(',').includes('pids')) ?? lines.find((l) => l.split(':')[1]?.split(',').includes('memory'));
  if (!line) throw new Error(`cannot find the cgroup of process ${pid}`);
  return line.split(':').slice(2).join(':');
}

export interface ProcessRow {
  uid: number;
  pid: number;
  ppid: number;
  stime: string;
  tty: string;
  time: string;
  cmd: string;
}

const CLK_TCK = 100;

function bootTime(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('btime '));
  return Number(line?.split(' ')[1] ?? 0);
}

function processRow(pid: number, boot: number): ProcessRow | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    const ppid = Number(f[1]);
    const ttyNr = Number(f[4]);
    const cpu = (Number(f[11]) + Number(f[12])) / CLK_TCK;
    const started = new Date((boot + Number(f[19]) / CLK_TCK) * 1000);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    let tty = '?';
    if (ttyNr !== 0) {
      try {
        tty = readlinkSync(`/proc/${pid}/fd/0`).replace(/^\/dev\//, '');
      } catch {
        tty = `${ttyNr >> 8}:${ttyNr & 0xff}`;
      }
    }
    const hms = (s: number): string => [Math.floor(s / 3600), Math.floor(s / 60) % 60, Math.floor(s) % 60].map((n) => String(n).padStart(2, '0')).join(':');
    return { uid, pid, ppid, stime: started.toTimeString().slice(0, 5), tty, time: hms(cpu), cmd: argv.length ? argv.join(' ') : `[${comm}]` };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** The container's processes as `ps -ef` shows them (host PIDs, as docker top does). */
export function containerProcesses(record: ContainerRecord): ProcessRow[] {
  const pid = running(record);
  const path = cgroupOf(pid);
  const pids = cgroupManager(path).pids();
  if (pids.length === 0) throw new Error(`container ${record.name}: its cgroup ${path} lists no processes (is it still running?)`);
  const boot = bootTime();
  return pids.sort((a, b) => a - b).map((p) => processRow(p, boot)).filter((r): r is ProcessRow => r !== undefined);
}

export interface ContainerStats extends CgroupStats {
  netRx: number;
  netTx: number;
}

/** One reading of the container's cgroup and its network namespace's interfaces (lo left out). */
export function readStats(record: ContainerRecord): ContainerStats {
  const pid = running(record);
  const stats = cgroupManager(cgroupOf(pid)).stats();
  let netRx = 0;
  let netTx = 0;
  try {
    for (const line of readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2)) {
      const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
      if (!m || m[1] === 'lo') continue;
      const f = m[2]!.trim().split(/\s+/).map(Number);
      netRx += f[0] ?? 0;
      netTx += f[8] ?? 0;
    }
  } catch {
    // it ended meanwhile
  }
  return { ...stats, netRx, netTx };
}
