// Which cgroup layout this kernel runs: pure v2 (one cgroup2 mount at /sys/fs/cgroup) or v1 (a
// hierarchy per controller, possibly beside a cgroup2 mount at /sys/fs/cgroup/unified: "hybrid").
import { statfsSync } from 'node:fs';
import { readMountinfo } from '../mountinfo.js';
import type { CgroupMode } from './types.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;
export const CGROUP_ROOT = '/sys/fs/cgroup';

export function cgroupMode(root = CGROUP_ROOT): CgroupMode {
  return statfsSync(root).type === CGROUP2_SUPER_MAGIC ? 'v2' : 'v1';
}

export interface V1Hierarchy {
  /** mount point, e.g. /sys/fs/cgroup/cpu,cpuacct */
  mountPoint: string;
  /** controllers, e.g. ['cpu', 'cpuacct'], or ['name=systemd'] */
  controllers: string[];
}

/** The v1 hierarchies mounted on this machine, from /proc/self/mountinfo. */
export function v1Hierarchies(): V1Hierarchy[] {
  const result: V1Hierarchy[] = [];
  for (const { fstype, mountPoint, superOptions } of readMountinfo()) {
    if (fstype !== 'cgroup') continue;
    const known = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'freezer', 'devices', 'blkio', 'net_cls', 'net_prio',
      'perf_event', 'hugetlb', 'rdma', 'misc'];
    const controllers = superOptions.filter((o) => known.includes(o) || o.startsWith('name='));
    if (controllers.length > 0) result.push({ mountPoint, controllers });
  }
  return result;
}

/** The unified (v2) hierarchy's mount point, if any: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host. */
export function unifiedMountPoint(): string | undefined {
  return readMountinfo().find((m) => m.fstype === 'cgroup2')?.mountPoint;
}

/**
 * Turns config.json's cgroupsPath into a path under the hierarchy root. The systemd form
 * "slice:prefix:name" becomes /slice/prefix-name.scope, as runc does with --systemd-cgroup.
 */
export function normaliseCgroupPath(cgroupsPath: string | undefined, id: string): string {
  if (!cgroupsPath) return `/tslab/${id}`;
  if (!cgroupsPath.startsWith('/') && cgroupsPath.split(':').length === 3) {
    const [slice, prefix, name] = cgroupsPath.split(':') as [string, string, string];
    const parent = slice === '' ? '/system.slice' : `/${slice}`;
    return `${parent}/${prefix ? `${prefix}-` : ''}${name}.scope`;
  }
  const clean = cgroupsPath.split('/').filter((p) => p !== '' && p !== '.' && p !== '..').join('/');
  if (clean === '') throw new Error(`linux.cgroupsPath "${cgroupsPath}" names no cgroup: use a path such as /tslab/${id}`);
  return `/${clean}`;
}
