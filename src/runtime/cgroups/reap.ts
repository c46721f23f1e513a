// Cgroups that outlived whoever made them, found by name in every hierarchy the host has mounted
// (v1: one per controller, the named systemd one and the hybrid unified one; v2: the one), and
// removed with whatever still runs in them: thawed first (a frozen task does not die of SIGKILL
// until thawed), killed, emptied, removed deepest first.
import { findDirs } from '../find-dirs.js';
import { readMountinfo } from '../mountinfo.js';
import { freezeDir, readPids, removeCgroupDir, subCgroups, waitUntil } from './files.js';

/** Every cgroup hierarchy's mount point. */
function hierarchies(): string[] {
  return [...new Set(readMountinfo().filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2').map((m) => m.mountPoint))];
}

/** The cgroup directories whose name starts with prefix, up to `depth` levels down each hierarchy (not below one another). */
export function cgroupsNamed(prefix: string, depth = 3): string[] {
  return findDirs(hierarchies(), (name) => name.startsWith(prefix), depth);
}

function thaw(dir: string): void {
  try {
    freezeDir(dir, false);
  } catch {
    // a v1 root-level or a removed cgroup: nothing to thaw
  }
}

/**
 * Thaws, kills and removes the cgroups at dirs with their sub-cgroups; returns what stood in the way
 * (a process that would not die), one line each. One container's dirs go together: its tasks die
 * only once thawed in the freezer hierarchy, whichever hierarchy they are looked at in.
 */
export async function reapCgroups(dirs: string[]): Promise<string[]> {
  const trees = dirs.map((dir) => [dir, ...subCgroups(dir)]);
  for (const d of trees.flat()) thaw(d);
  for (const pid of new Set(trees.flat().flatMap(readPids))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try {
    await waitUntil(`the processes of ${dirs.join(', ')} to exit`, () => trees.flat().every((d) => readPids(d).length === 0));
  } catch (err) {
    return dirs.map((dir) => `cgroup ${dir} is left in place: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  for (const dir of dirs) {
    const problem = await removeCgroupDir(dir);
    if (problem) problems.push(problem);
  }
  return problems;
}
