// Which cgroups a process is in, as the cgroup.procs files that would put another process beside it:
// `exec` (and anything else joining a container) is counted against the container's limits.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { v1Hierarchies } from './detect.js';

/** The unified (v2) hierarchy's mount point, if any: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host. */
function unifiedMountPoint(): string | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0 || !line.slice(sep + 3).startsWith('cgroup2 ')) continue;
    return line.slice(0, sep).split(' ')[4];
  }
  return undefined;
}

/** The cgroup.procs file of every hierarchy `pid` belongs to (read from /proc/<pid>/cgroup). */
export function cgroupProcsFilesOf(pid: number): string[] {
  const hierarchies = v1Hierarchies();
  const files: string[] = [];
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    const mountPoint = controllers === ''
      ? unifiedMountPoint()
      : hierarchies.find((h) => h.controllers.join(',') === controllers)?.mountPoint;
    if (!mountPoint) continue;
    const file = join(mountPoint, path, 'cgroup.procs');
    if (existsSync(file)) files.push(file);
  }
  return files;
}
