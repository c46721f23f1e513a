// The cgroups a process is in, read from /proc/<pid>/cgroup, on v1 (a directory per controller) and
// v2 (one directory) alike: its directories, its files, its freezer, and the cgroup.procs files that
// put another process beside it (`exec` and a lab's commands are counted against the container's
// limits). The one reader of a process's cgroups; creating them is the CgroupManager's job.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_ROOT, cgroupMode, unifiedMountPoint, v1Hierarchies } from './detect.js';
import { freezeDir, parseKeyed } from './files.js';
import type { CgroupMode } from './types.js';

/** A cgroup file named for both hierarchies; v1 names are `<controller>/<file>`, v2 names are plain. */
export interface CgroupFileName {
  v1: string;
  v2: string;
}

/** One line of /proc/<pid>/cgroup: its controllers ([] for the v2 line) and the cgroup's path. */
export interface Membership {
  controllers: string[];
  path: string;
}

export function parseProcCgroup(text: string): Membership[] {
  return text.split('\n').filter(Boolean).map((line) => {
    const [, controllers = '', ...rest] = line.split(':');
    return { controllers: controllers === '' ? [] : controllers.split(','), path: rest.join(':') };
  });
}

export function membershipOf(pid: number): Membership[] {
  return parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
}

export class ProcessCgroup {
  /** fixedPath: a cgroup path below each hierarchy's root instead of where the process is (what config.json asked for) */
  constructor(readonly pid: number, readonly mode: CgroupMode = cgroupMode(), private readonly fixedPath?: string) {}

  private v1MountPoint(controller: string): string {
    const mountPoint = v1Hierarchies().find((h) => h.controllers.includes(controller))?.mountPoint;
    if (!mountPoint) throw new Error(`the ${controller} controller is not mounted (cgroup v1)`);
    return mountPoint;
  }

  /** The directory for a controller (v2: the one directory, whatever the controller). */
  dir(controller: string): string {
    if (this.mode === 'v2') {
      if (this.fixedPath !== undefined) return join(CGROUP_ROOT, this.fixedPath);
      const unified = membershipOf(this.pid).find((l) => l.controllers.length === 0);
      if (!unified) throw new Error(`/proc/${this.pid}/cgroup has no cgroup v2 line`);
      return join(CGROUP_ROOT, unified.path);
    }
    if (this.fixedPath !== undefined) return join(this.v1MountPoint(controller), this.fixedPath);
    const line = membershipOf(this.pid).find((l) => l.controllers.includes(controller));
    if (!line) throw new Error(`process ${this.pid} is in no ${controller} cgroup (cgroup v1)`);
    return join(this.v1MountPoint(controller), line.path);
  }

  /** Each line of /proc/<pid>/cgroup with the mount point of its hierarchy (the hybrid layout's cgroup2 one too). */
  private placed(): Array<Membership & { mountPoint?: string }> {
    const hierarchies = v1Hierarchies();
    const unified = this.mode === 'v2' ? CGROUP_ROOT : unifiedMountPoint();
    return membershipOf(this.pid).map((line) => ({
      ...line,
      mountPoint: line.controllers.length === 0
        ? unified
        : hierarchies.find((h) => h.controllers.join(',') === line.controllers.join(','))?.mountPoint,
    }));
  }

  /** Every directory the process is in, below the roots. */
  dirs(): string[] {
    return this.placed().filter((l) => l.mountPoint && l.path !== '/').map((l) => join(l.mountPoint!, l.path)).filter((d) => existsSync(d));
  }

  /** The cgroup.procs file of every hierarchy the process is in. */
  procsFiles(): string[] {
    return this.placed().filter((l) => l.mountPoint).map((l) => join(l.mountPoint!, l.path, 'cgroup.procs')).filter((f) => existsSync(f));
  }

  path(file: CgroupFileName): string {
    if (this.mode === 'v2') return join(this.dir(''), file.v2);
    const [controller, ...rest] = file.v1.split('/');
    return join(this.dir(controller!), rest.join('/'));
  }

  read(file: CgroupFileName): string {
    return readFileSync(this.path(file), 'utf8').trim();
  }

  /** A flat-keyed file (cpu.stat, memory.events, pids.events) as numbers. */
  readKeyed(file: CgroupFileName): Record<string, number> {
    return parseKeyed(this.read(file));
  }

  /** Freezes or thaws every process of the cgroup (asks; isFrozen() says when the kernel is done). */
  freeze(frozen: boolean): void {
    const dir = this.dir('freezer');
    if (dir === CGROUP_ROOT || (this.mode === 'v1' && dir === this.v1MountPoint('freezer'))) {
      throw new Error('the process is in the root cgroup: refusing to freeze the whole machine');
    }
    freezeDir(dir, frozen, this.mode);
  }

  /** The state the kernel reports: true once every task is frozen. */
  isFrozen(): boolean {
    if (this.mode === 'v2') return this.readKeyed({ v1: '', v2: 'cgroup.events' }).frozen === 1;
    return this.read({ v1: 'freezer/freezer.state', v2: '' }) === 'FROZEN';
  }
}

/** The cgroups of a process; with `path`, the cgroup at that path below each hierarchy's root instead. */
export function cgroupOf(pid: number, options: { path?: string; mode?: CgroupMode } = {}): ProcessCgroup {
  return new ProcessCgroup(pid, options.mode ?? cgroupMode(), options.path);
}
