// Cgroup files of a lab's container, on v1 and v2 alike. The container's cgroup is read from
// /proc/<init pid>/cgroup, so labs work whatever path the runtime chose (the runtime-side module in
// src/runtime/cgroups creates cgroups; this one only finds and reads them).
import { readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { writeKernelFile } from '../runtime/sys/index.js';
import type { CgroupFile, CgroupView } from './format.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const CGROUP_ROOT = '/sys/fs/cgroup';

export type CgroupMode = 'v1' | 'v2';

/** cgroup2fs mounted at /sys/fs/cgroup means v2; anything else (tmpfs of v1 hierarchies) means v1. */
export function detectCgroupMode(): CgroupMode {
  return statfsSync(CGROUP_ROOT).type === CGROUP2_SUPER_MAGIC ? 'v2' : 'v1';
}

/** controller → mount point of its v1 hierarchy, e.g. cpu → /sys/fs/cgroup/cpu,cpuacct */
export function v1MountPoints(): Map<string, string> {
  const points = new Map<string, string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOptions = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup') continue;
    const mountPoint = line.slice(0, sep).split(' ')[4]!;
    for (const option of superOptions.split(',')) if (!points.has(option)) points.set(option, mountPoint);
  }
  return points;
}

/** The lines of /proc/<pid>/cgroup: hierarchy id, controllers, path. */
export function procCgroups(pid: number): { controllers: string[]; path: string }[] {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [, controllers = '', ...rest] = line.split(':');
    return { controllers: controllers === '' ? [] : controllers.split(','), path: rest.join(':') };
  });
}

/** Every cgroup.procs file a process must be written to, to join the cgroups of `pid`. */
export function cgroupProcsFiles(pid: number, mode: CgroupMode): string[] {
  const lines = procCgroups(pid);
  if (mode === 'v2') {
    const unified = lines.find((l) => l.controllers.length === 0);
    return unified ? [join(CGROUP_ROOT, unified.path, 'cgroup.procs')] : [];
  }
  const points = v1MountPoints();
  const files: string[] = [];
  for (const line of lines) {
    const controller = line.controllers[0];
    if (!controller) continue; // the hybrid cgroup2 line: runtimes differ on it, labs do not need it
    const mountPoint = points.get(controller);
    if (mountPoint) files.push(join(mountPoint, line.path, 'cgroup.procs'));
  }
  return files;
}

export class ContainerCgroup implements CgroupView {
  /** pid: follow that process's cgroups; fixedPath: a cgroup path below each hierarchy's root instead */
  constructor(readonly mode: CgroupMode, private readonly pid: number, private readonly fixedPath?: string) {}

  dir(controller: string): string {
    if (this.fixedPath !== undefined) {
      if (this.mode === 'v2') return join(CGROUP_ROOT, this.fixedPath);
      const mountPoint = v1MountPoints().get(controller);
      if (!mountPoint) throw new Error(`the ${controller} controller is not mounted (cgroup v1)`);
      return join(mountPoint, this.fixedPath);
    }
    const lines = procCgroups(this.pid);
    if (this.mode === 'v2') {
      const unified = lines.find((l) => l.controllers.length === 0);
      if (!unified) throw new Error(`/proc/${this.pid}/cgroup has no cgroup v2 line`);
      return join(CGROUP_ROOT, unified.path);
    }
    const line = lines.find((l) => l.controllers.includes(controller));
    const mountPoint = v1MountPoints().get(controller);
    if (!line || !mountPoint) throw new Error(`the ${controller} controller is not mounted (cgroup v1)`);
    return join(mountPoint, line.path);
  }

  /** Absolute path of a file; v1 names are `<controller>/<file>`, v2 names are plain. */
  path(file: CgroupFile): string {
    if (this.mode === 'v2') return join(this.dir(''), file.v2);
    const [controller, ...rest] = file.v1.split('/');
    return join(this.dir(controller!), rest.join('/'));
  }

  read(file: CgroupFile): string {
    return readFileSync(this.path(file), 'utf8').trim();
  }

  readKeyed(file: CgroupFile): Record<string, number> {
    const values: Record<string, number> = {};
    for (const line of this.read(file).split('\n')) {
      const [key, value] = line.trim().split(/\s+/);
      if (key && value !== undefined && /^-?\d+$/.test(value)) values[key] = Number(value);
    }
    return values;
  }

  freeze(frozen: boolean): void {
    const dir = this.dir('freezer');
    if (dir === CGROUP_ROOT || dir === v1MountPoints().get('freezer')) {
      throw new Error('the container is in the root cgroup: refusing to freeze the whole machine');
    }
    if (this.mode === 'v2') {
      writeKernelFile(this.path({ v1: '', v2: 'cgroup.freeze' }), frozen ? '1' : '0', 'cgroup.write');
    } else {
      writeKernelFile(this.path({ v1: 'freezer/freezer.state', v2: '' }), frozen ? 'FROZEN' : 'THAWED', 'cgroup.write');
    }
  }

  isFrozen(): boolean {
    if (this.mode === 'v2') return this.readKeyed({ v1: '', v2: 'cgroup.events' }).frozen === 1;
    return this.read({ v1: 'freezer/freezer.state', v2: '' }) === 'FROZEN';
  }
}
