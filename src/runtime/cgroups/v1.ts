// cgroup v1: one hierarchy per controller (memory, cpu,cpuacct, pids, cpuset, freezer, devices, …).
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Resources, DeviceCgroup } from '../../oci/spec.js';
import { tracer } from '../../tracer/tracer.js';
import { v1Hierarchies, type V1Hierarchy } from './detect.js';
import { blockBytes, freezeDir, readKeyed, readNumber, readPids, removeCgroupDir, waitUntil, writeCgroupFile } from './files.js';
import type { CgroupManager, CgroupStats } from './types.js';

/** Devices every container needs whatever the config says (runc allows the same list). */
export const DEFAULT_ALLOWED_DEVICES = ['c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm',
  'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm'];

function deviceRule(d: DeviceCgroup): string {
  const type = d.type ?? 'a';
  const major = d.major === undefined || d.major === null || d.major < 0 ? '*' : String(d.major);
  const minor = d.minor === undefined || d.minor === null || d.minor < 0 ? '*' : String(d.minor);
  return type === 'a' ? 'a' : `${type} ${major}:${minor} ${d.access ?? 'rwm'}`;
}

/**
 * memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes (memory + swap): when both
 * change, the order that keeps that true, as runc has it. Zero means unchanged.
 */
function setMemoryAndSwap(dir: string, limit: number, swapIn: number): void {
  const hasSwap = existsSync(join(dir, 'memory.memsw.limit_in_bytes'));
  // unlimited memory without a swap value: unlimited swap too, or the old memsw would cap it
  const swap = hasSwap ? (limit === -1 && swapIn === 0 ? -1 : swapIn) : 0;
  if (limit !== 0 && swap !== 0) {
    const current = readNumber(join(dir, 'memory.limit_in_bytes')) ?? 0;
    if (swap === -1 || current < swap) {
      writeCgroupFile(dir, 'memory.memsw.limit_in_bytes', String(swap));
      writeCgroupFile(dir, 'memory.limit_in_bytes', String(limit));
      return;
    }
  }
  if (limit !== 0) writeCgroupFile(dir, 'memory.limit_in_bytes', String(limit));
  if (swap !== 0) writeCgroupFile(dir, 'memory.memsw.limit_in_bytes', String(swap));
}

export class CgroupV1 implements CgroupManager {
  readonly mode = 'v1' as const;
  private readonly hierarchies: V1Hierarchy[];

  constructor(readonly path: string) {
    this.hierarchies = v1Hierarchies();
  }

  private dirOf(controller: string): string | undefined {
    const h = this.hierarchies.find((x) => x.controllers.includes(controller));
    return h ? join(h.mountPoint, this.path) : undefined;
  }

  dirs(): string[] {
    return this.hierarchies.map((h) => join(h.mountPoint, this.path));
  }

  create(): void {
    for (const h of this.hierarchies) {
      const dir = join(h.mountPoint, this.path);
      if (existsSync(dir)) continue;
      const isCpuset = h.controllers.includes('cpuset');
      // Create level by level: a new cpuset cgroup starts with empty cpus/mems and refuses tasks.
      const levels: string[] = [];
      for (let d = dir; d !== h.mountPoint && !existsSync(d); d = dirname(d)) levels.unshift(d);
      for (const level of levels) {
        tracer.step({ kind: 'syscall', step: 'mkdir', args: { path: level }, summary: `mkdir ${level}` }, () => mkdirSync(level));
        if (isCpuset) {
          for (const f of ['cpuset.cpus', 'cpuset.mems']) {
            if (readFileSync(join(level, f), 'utf8').trim() === '') {
              writeCgroupFile(level, f, readFileSync(join(dirname(level), f), 'utf8').trim());
            }
          }
        }
      }
    }
  }

  apply(resources: Resources | undefined): void {
    if (!resources) return;
    const mem = this.dirOf('memory');
    if (resources.memory && mem) {
      const m = resources.memory;
      setMemoryAndSwap(mem, m.limit ?? 0, m.swap ?? 0);
      if (m.reservation) writeCgroupFile(mem, 'memory.soft_limit_in_bytes', String(m.reservation));
      if (m.swappiness !== undefined && m.swappiness >= 0) writeCgroupFile(mem, 'memory.swappiness', String(m.swappiness));
      if (m.disableOOMKiller) writeCgroupFile(mem, 'memory.oom_control', '1');
    }
    const cpu = this.dirOf('cpu');
    if (resources.cpu && cpu) {
      const c = resources.cpu;
      if (c.shares) writeCgroupFile(cpu, 'cpu.shares', String(c.shares));
      if (c.period) writeCgroupFile(cpu, 'cpu.cfs_period_us', String(c.period));
      if (c.quota !== undefined && c.quota !== 0) writeCgroupFile(cpu, 'cpu.cfs_quota_us', String(c.quota));
      if (c.realtimePeriod) writeCgroupFile(cpu, 'cpu.rt_period_us', String(c.realtimePeriod));
      if (c.realtimeRuntime) writeCgroupFile(cpu, 'cpu.rt_runtime_us', String(c.realtimeRuntime));
    }
    const cpuset = this.dirOf('cpuset');
    if (resources.cpu && cpuset) {
      if (resources.cpu.cpus) writeCgroupFile(cpuset, 'cpuset.cpus', resources.cpu.cpus);
      if (resources.cpu.mems) writeCgroupFile(cpuset, 'cpuset.mems', resources.cpu.mems);
    }
    const pids = this.dirOf('pids');
    if (resources.pids && pids) {
      writeCgroupFile(pids, 'pids.max', resources.pids.limit > 0 ? String(resources.pids.limit) : 'max');
    }
    const devices = this.dirOf('devices');
    if (resources.devices && devices) {
      for (const d of resources.devices) writeCgroupFile(devices, d.allow ? 'devices.allow' : 'devices.deny', deviceRule(d));
      // After the config's rules, the devices any container needs to work at all.
      for (const rule of DEFAULT_ALLOWED_DEVICES) writeCgroupFile(devices, 'devices.allow', rule);
    }
  }

  addProcess(pid: number): void {
    for (const dir of this.dirs()) writeCgroupFile(dir, 'cgroup.procs', String(pid));
  }

  async freeze(): Promise<void> {
    const dir = this.dirOf('freezer');
    if (!dir) throw new Error('the freezer cgroup controller is not mounted: pause needs it');
    freezeDir(dir, true, 'v1');
    await waitUntil('freezer.state FROZEN', () => readFileSync(join(dir, 'freezer.state'), 'utf8').trim() === 'FROZEN');
  }

  isFrozen(): boolean {
    const dir = this.dirOf('freezer');
    try {
      // FREEZING too: a freeze in progress stops the processes as surely (and a parent's shows here)
      return dir !== undefined && readFileSync(join(dir, 'freezer.state'), 'utf8').trim() !== 'THAWED';
    } catch {
      return false;
    }
  }

  async thaw(): Promise<void> {
    const dir = this.dirOf('freezer');
    if (!dir) throw new Error('the freezer cgroup controller is not mounted: unpause needs it');
    freezeDir(dir, false, 'v1');
    await waitUntil('freezer.state THAWED', () => readFileSync(join(dir, 'freezer.state'), 'utf8').trim() === 'THAWED');
  }

  pids(): number[] {
    const dir = this.dirOf('pids') ?? this.dirs()[0];
    return dir ? readPids(dir) : [];
  }

  stats(): CgroupStats {
    const mem = this.dirOf('memory');
    const pids = this.dirOf('pids');
    const cpu = this.dirOf('cpu');
    const cpuacct = this.dirOf('cpuacct');
    const stats: CgroupStats = {};
    if (mem) {
      stats.memoryBytes = readNumber(join(mem, 'memory.usage_in_bytes'));
      stats.memoryLimit = readNumber(join(mem, 'memory.limit_in_bytes'));
      stats.oomKills = readKeyed(join(mem, 'memory.oom_control')).oom_kill;
    }
    if (pids) {
      stats.pids = readNumber(join(pids, 'pids.current'));
      stats.pidsLimit = readNumber(join(pids, 'pids.max'));
    }
    if (cpuacct) {
      const ns = readNumber(join(cpuacct, 'cpuacct.usage'));
      if (ns !== undefined) stats.cpuUsageUsec = Math.round(ns / 1000);
    }
    if (cpu) stats.throttledPeriods = readKeyed(join(cpu, 'cpu.stat')).nr_throttled;
    const blkio = this.dirOf('blkio');
    if (blkio) Object.assign(stats, blockBytes(join(blkio, 'blkio.throttle.io_service_bytes'), / (Read|Write) (\d+)$/));
    return stats;
  }

  async destroy(keep: string[] = []): Promise<string[]> {
    const left: string[] = [];
    for (const dir of this.dirs()) {
      if (keep.includes(dir) || !existsSync(dir) || !statSync(dir).isDirectory()) continue;
      const problem = await removeCgroupDir(dir);
      if (problem) left.push(problem);
    }
    return left;
  }
}
