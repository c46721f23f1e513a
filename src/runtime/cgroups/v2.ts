// cgroup v2: one unified tree; controllers must be enabled in every ancestor's subtree_control.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Resources } from '../../oci/spec.js';
import { tracer } from '../../tracer/tracer.js';
import { bpf, sys } from '../sys/index.js';
import { CGROUP_ROOT } from './detect.js';
import { containerDeviceRules, deviceFilterBytecode } from './device-filter.js';
import { blockBytes, freezeDir, readKeyed, readNumber, readPids, removeCgroupDir, waitUntil, writeCgroupFile } from './files.js';
import type { CgroupManager, CgroupStats } from './types.js';

const WANTED = ['cpu', 'cpuset', 'memory', 'pids', 'io'];

/** cpu.shares (2..262144, default 1024) to cpu.weight (1..10000, default 100), as the kernel docs map it. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

export class CgroupV2 implements CgroupManager {
  readonly mode = 'v2' as const;
  private readonly dir: string;

  constructor(readonly path: string, private readonly root = CGROUP_ROOT) {
    this.dir = join(root, path);
  }

  dirs(): string[] {
    return [this.dir];
  }

  create(): void {
    const levels: string[] = [];
    for (let d = this.dir; d !== this.root && !existsSync(d); d = dirname(d)) levels.unshift(d);
    // Enable the controllers we use from the root down to the container's parent.
    const chain: string[] = [];
    for (let d = dirname(this.dir); d.startsWith(this.root); d = dirname(d)) {
      chain.unshift(d);
      if (d === this.root) break;
    }
    for (const level of levels) {
      tracer.step({ kind: 'syscall', step: 'mkdir', args: { path: level }, summary: `mkdir ${level}` }, () => mkdirSync(level));
    }
    for (const parent of chain) {
      const available = readFileSync(join(parent, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
      const enabled = readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/);
      const missing = WANTED.filter((c) => available.includes(c) && !enabled.includes(c));
      if (missing.length > 0) writeCgroupFile(parent, 'cgroup.subtree_control', missing.map((c) => `+${c}`).join(' '));
    }
  }

  apply(resources: Resources | undefined): void {
    if (!resources) return;
    const d = this.dir;
    const m = resources.memory;
    if (m) {
      // zero is unset, as runc reads it (docker writes zeros for every limit not given)
      if (m.limit) writeCgroupFile(d, 'memory.max', m.limit < 0 ? 'max' : String(m.limit));
      if (m.reservation) writeCgroupFile(d, 'memory.low', String(m.reservation));
      if (m.swap && existsSync(join(d, 'memory.swap.max'))) {
        // v1's swap is memory+swap; v2's memory.swap.max is swap alone.
        const swap = m.swap < 0 ? 'max' : String(Math.max(0, m.swap - (m.limit ?? 0)));
        writeCgroupFile(d, 'memory.swap.max', swap);
      }
      if (m.disableOOMKiller) {
        tracer.point('info', 'cgroup.unsupported', { field: 'linux.resources.memory.disableOOMKiller' },
          'cgroup v2 has no switch to disable the OOM killer: ignored');
      }
    }
    const c = resources.cpu;
    if (c) {
      if (c.shares) writeCgroupFile(d, 'cpu.weight', String(sharesToWeight(c.shares)));
      // as runc: without a period only the quota is written, so an update keeps the period
      if (c.quota || c.period) {
        const quota = c.quota === undefined || c.quota <= 0 ? 'max' : String(c.quota);
        writeCgroupFile(d, 'cpu.max', c.period ? `${quota} ${c.period}` : quota);
      }
      if (c.cpus) writeCgroupFile(d, 'cpuset.cpus', c.cpus);
      if (c.mems) writeCgroupFile(d, 'cpuset.mems', c.mems);
      if (c.idle !== undefined && existsSync(join(d, 'cpu.idle'))) writeCgroupFile(d, 'cpu.idle', String(c.idle));
    }
    if (resources.pids) writeCgroupFile(d, 'pids.max', resources.pids.limit > 0 ? String(resources.pids.limit) : 'max');
    for (const [file, value] of Object.entries(resources.unified ?? {})) {
      if (file.includes('/') || file.startsWith('.')) throw new Error(`linux.resources.unified: "${file}" is not a cgroup file name`);
      writeCgroupFile(d, file, value);
    }
    if (resources.devices) {
      // v2's device controller is an eBPF program on the cgroup. The attachment holds the program,
      // so its fd can go; removing the cgroup detaches it.
      const progFd = bpf.loadCgroupDeviceProgram(deviceFilterBytecode(containerDeviceRules(resources.devices)));
      try {
        bpf.attachCgroupDeviceProgram(d, progFd);
      } finally {
        sys.close(progFd);
      }
    }
  }

  addProcess(pid: number): void {
    writeCgroupFile(this.dir, 'cgroup.procs', String(pid));
  }

  async freeze(): Promise<void> {
    freezeDir(this.dir, true, 'v2');
    await waitUntil('cgroup.events frozen 1', () => readKeyed(join(this.dir, 'cgroup.events')).frozen === 1);
  }

  isFrozen(): boolean {
    try {
      return readFileSync(join(this.dir, 'cgroup.freeze'), 'utf8').trim() === '1' || readKeyed(join(this.dir, 'cgroup.events')).frozen === 1;
    } catch {
      return false;
    }
  }

  async thaw(): Promise<void> {
    freezeDir(this.dir, false, 'v2');
    await waitUntil('cgroup.events frozen 0', () => readKeyed(join(this.dir, 'cgroup.events')).frozen === 0);
  }

  pids(): number[] {
    return readPids(this.dir);
  }

  stats(): CgroupStats {
    const d = this.dir;
    return {
      memoryBytes: readNumber(join(d, 'memory.current')),
      memoryLimit: readNumber(join(d, 'memory.max')),
      oomKills: readKeyed(join(d, 'memory.events')).oom_kill,
      pids: readNumber(join(d, 'pids.current')),
      pidsLimit: readNumber(join(d, 'pids.max')),
      cpuUsageUsec: readKeyed(join(d, 'cpu.stat')).usage_usec,
      throttledPeriods: readKeyed(join(d, 'cpu.stat')).nr_throttled,
      ...blockBytes(join(d, 'io.stat'), /(rbytes|wbytes)=(\d+)/g),
    };
  }

  async destroy(keep: string[] = []): Promise<string[]> {
    const left = keep.includes(this.dir) ? undefined : await removeCgroupDir(this.dir);
    return left ? [left] : [];
  }
}
