// The one parser of /proc/<pid>/mountinfo (proc(5)): mount points, filesystem types and options for
// the init's read-only remounts, the cgroup hierarchies, the engine's overlay and the labs' sweeper.
import { readFileSync } from 'node:fs';

export interface MountInfo {
  id: number;
  parent: number;
  /** the mounted folder of the filesystem, e.g. / or /some/subdir for a bind */
  root: string;
  mountPoint: string;
  /** per-mount options: rw, nosuid, nodev, noexec, relatime… */
  options: string[];
  fstype: string;
  source: string;
  /** per-superblock options: for overlay lowerdir=…, for a cgroup v1 hierarchy its controllers */
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseMountinfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    // optional fields (shared:N, master:N) end at a lone '-'
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [id, parent, , root, mountPoint, options] = line.slice(0, sep).split(' ');
    const [fstype, source, superOptions] = line.slice(sep + 3).split(' ');
    if (mountPoint === undefined || fstype === undefined) continue;
    mounts.push({
      id: Number(id), parent: Number(parent), root: unescape(root ?? ''), mountPoint: unescape(mountPoint),
      options: (options ?? '').split(','), fstype, source: unescape(source ?? ''), superOptions: (superOptions ?? '').split(','),
    });
  }
  return mounts;
}

/** The mounts a process sees (its mount namespace); default this process. */
export function readMountinfo(pid: number | 'self' = 'self'): MountInfo[] {
  return parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
}

export function isMountPoint(path: string, mounts: MountInfo[] = readMountinfo()): boolean {
  return mounts.some((m) => m.mountPoint === path);
}

/** Mount points at or below dir, deepest first (the order to unmount them in). */
export function mountPointsBelow(dir: string, mounts: MountInfo[] = readMountinfo()): string[] {
  return mounts.map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** The mount whose mount point is the longest prefix of path: the filesystem path lives on. */
export function mountOf(path: string, mounts: MountInfo[] = readMountinfo()): MountInfo | undefined {
  let best: MountInfo | undefined;
  for (const m of mounts) {
    const covers = path === m.mountPoint || path.startsWith(m.mountPoint === '/' ? '/' : `${m.mountPoint}/`);
    if (covers && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}
