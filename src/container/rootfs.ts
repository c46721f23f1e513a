// The container's root filesystem: an overlay of the image's snapshots (read-only lowerdirs,
// top layer first) under a per-container upperdir, mounted at <container>/rootfs. `diff` reads
// the upperdir the way `docker diff` reports it.
import { existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MNT, sys } from '../runtime/sys/index.js';
import { isMountPoint } from '../runtime/mountinfo.js';

export interface RootfsPaths {
  rootfs: string;
  upper: string;
  work: string;
}

export function rootfsPaths(dir: string): RootfsPaths {
  return { rootfs: join(dir, 'rootfs'), upper: join(dir, 'upper'), work: join(dir, 'work') };
}

export function isMounted(path: string): boolean {
  return isMountPoint(path);
}

/** Mounts the overlay; lowerdirs are given relative to their common folder to keep the data short. */
export function mountRootfs(dir: string, lowerDirs: string[]): void {
  const p = rootfsPaths(dir);
  for (const d of [p.rootfs, p.upper, p.work]) mkdirSync(d, { recursive: true, mode: 0o755 });
  if (isMounted(p.rootfs)) return;
  let lowers = lowerDirs;
  if (lowers.length === 0) {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    lowers = [empty];
  }
  // the mount data is limited to one page; relative lowerdirs keep many layers inside it
  const base = lowers.every((l) => l.startsWith(join(lowers[0]!, '..', '..'))) ? join(lowers[0]!, '..', '..') : undefined;
  const cwd = process.cwd();
  try {
    let lowerdir = lowers.join(':');
    if (base && lowerdir.length > 1500) {
      process.chdir(base);
      lowerdir = lowers.map((l) => relative(base, l)).join(':');
    }
    sys.mount('overlay', p.rootfs, 'overlay', 0, `lowerdir=${lowerdir},upperdir=${p.upper},workdir=${p.work}`);
  } finally {
    process.chdir(cwd);
  }
}

/**
 * Unmounts the container's root. The shim and a concurrent `rm` may unmount it between our look and
 * our umount2: EINVAL (no longer a mount point) or ENOENT then mean it is already gone.
 */
export function unmountRootfs(dir: string): void {
  const { rootfs } = rootfsPaths(dir);
  if (!isMounted(rootfs)) return;
  const alreadyGone = (err: unknown): boolean => ['EINVAL', 'ENOENT'].includes(String((err as { errno?: unknown }).errno)) && !isMounted(rootfs);
  try {
    sys.umount2(rootfs, 0);
    return;
  } catch (err) {
    if (alreadyGone(err)) return;
  }
  try {
    sys.umount2(rootfs, MNT.MNT_DETACH); // something still holds it: detach now, freed when released
  } catch (err) {
    if (!alreadyGone(err)) throw err;
  }
}

export interface Change {
  kind: 'A' | 'C' | 'D';
  path: string;
  /** A directory that hides everything below it in the lowers (trusted.overlay.opaque=y). */
  opaque?: true;
}

function existsInLowers(lowers: string[], rel: string): boolean {
  for (const lower of lowers) {
    try {
      const st = lstatSync(join(lower, rel));
      // a whiteout in a higher lower means the path is gone from there down
      if (st.isCharacterDevice() && st.rdev === 0) return false;
      return true;
    } catch {
      // not in this layer
    }
  }
  return false;
}

function isOpaque(path: string): boolean {
  const r = spawnSync('getfattr', ['--absolute-names', '--only-values', '-n', 'trusted.overlay.opaque', path], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'y';
}

/** Files the runtime creates as mount points for tslab's own binds: not the user's changes. */
const HIDDEN = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);

/** Changes in the upperdir against the lowers (top first): A added, C changed, D deleted. */
export function diffUpper(upper: string, lowers: string[]): Change[] {
  const walk = (dir: string, allNew: boolean): Change[] => {
    const changes: Change[] = [];
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return changes;
    }
    for (const name of names.sort()) {
      const full = join(dir, name);
      const rel = relative(upper, full);
      const st = lstatSync(full);
      if (st.isCharacterDevice() && st.rdev === 0) {
        changes.push({ kind: 'D', path: `/${rel}` });
        continue;
      }
      if (HIDDEN.has(`/${rel}`) && st.isFile() && st.size === 0) continue;
      const inLower = !allNew && existsInLowers(lowers, rel);
      if (!st.isDirectory()) {
        changes.push({ kind: inLower ? 'C' : 'A', path: `/${rel}` });
        continue;
      }
      const opaque = !allNew && inLower && isOpaque(full);
      const children = walk(full, allNew || !inLower || opaque);
      // a directory copied up only to hold a runtime's mount point is no change of the user's
      const onlyHidden = inLower && children.length === 0 && readdirSync(full).every((n) => HIDDEN.has(`/${relative(upper, join(full, n))}`));
      if (!onlyHidden) changes.push({ kind: inLower ? 'C' : 'A', path: `/${rel}`, ...(opaque ? { opaque: true as const } : {}) });
      changes.push(...children);
    }
    return changes;
  };
  return existsSync(upper) ? walk(upper, false) : [];
}
