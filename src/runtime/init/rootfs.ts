// Building the container's filesystem view inside its new mount namespace: propagation, the rootfs
// bind, config.json's mounts, /dev, then pivot_root and the masked and read-only paths.
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync, symlinkSync, lstatSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Mount, Spec, Device } from '../../oci/spec.js';
import { CLONE, MS, MNT, MOUNT_OPTIONS, sys, SysError } from '../sys/index.js';
import type { MountFlagOption } from '../../oci/vocabulary.js';
import { secureJoin } from './paths.js';
import type { InitConfig } from './config.js';
import { v1Hierarchies } from '../cgroups/detect.js';
import { mountOf } from '../mountinfo.js';

export interface ParsedOptions {
  flags: number;
  clear: number;
  propagation: number[];
  data: string[];
  bind: boolean;
  rec: boolean;
}

export function parseMountOptions(options: string[] = []): ParsedOptions {
  const out: ParsedOptions = { flags: 0, clear: 0, propagation: [], data: [], bind: false, rec: false };
  for (const opt of options) {
    const known = (MOUNT_OPTIONS as Partial<Record<string, (typeof MOUNT_OPTIONS)[MountFlagOption]>>)[opt];
    if (!known) {
      out.data.push(opt);
      continue;
    }
    if (known.propagation) out.propagation.push(known.propagation);
    if (known.set) {
      if (known.set & MS.MS_BIND) out.bind = true;
      if (known.set & MS.MS_REC) out.rec = true;
      out.flags |= known.set & ~(MS.MS_BIND | MS.MS_REC);
    }
    if (known.clear) {
      out.flags &= ~known.clear;
      out.clear |= known.clear;
    }
  }
  return out;
}

const PROPAGATION: Record<string, number> = {
  shared: MS.MS_SHARED, slave: MS.MS_SLAVE, private: MS.MS_PRIVATE, unbindable: MS.MS_UNBINDABLE,
  rshared: MS.MS_SHARED | MS.MS_REC, rslave: MS.MS_SLAVE | MS.MS_REC, rprivate: MS.MS_PRIVATE | MS.MS_REC,
  runbindable: MS.MS_UNBINDABLE | MS.MS_REC,
};

/** Keeps our mounts from propagating back to the host: make / rslave (or what the config asks). */
export function isolatePropagation(spec: Spec): void {
  const wanted = spec.linux?.rootfsPropagation;
  const flags = wanted ? PROPAGATION[wanted]! : MS.MS_SLAVE | MS.MS_REC;
  // shared would leak our mounts to the host, and unbindable would forbid the rootfs bind below:
  // for both, / stays rslave now and the new root gets what was asked after pivot_root.
  sys.mount(null, '/', null, (flags & (MS.MS_SHARED | MS.MS_UNBINDABLE)) ? MS.MS_SLAVE | MS.MS_REC : flags, null);
}

/** After pivot_root: the propagation config.json asked for, on the container's own root. */
export function applyRootPropagation(spec: Spec): void {
  const wanted = spec.linux?.rootfsPropagation;
  if (wanted) sys.mount(null, '/', null, PROPAGATION[wanted]!, null);
}

export function bindRootfs(rootfs: string): void {
  // pivot_root needs new_root to be a mount point: bind the rootfs onto itself.
  sys.mount(rootfs, rootfs, null, MS.MS_BIND | MS.MS_REC, null);
}

function ensureTarget(target: string, asFile: boolean): void {
  if (existsSync(target)) return;
  mkdirSync(asFile ? dirname(target) : target, { recursive: true, mode: 0o755 });
  if (asFile) closeSync(openSync(target, 'a', 0o644));
}

/**
 * A tmpfs with one directory per hierarchy. Inside a cgroup namespace a fresh mount of each shows the
 * container's own cgroup as its root; without one it would show the whole host hierarchy, so, as
 * runc does, the container's directory of each hierarchy (`ownCgroup`) is bound there instead.
 */
function mountCgroupV1(target: string, flags: number, ownCgroup: string | undefined): void {
  sys.mount('tmpfs', target, 'tmpfs', flags & ~MS.MS_RDONLY, 'mode=755');
  for (const h of v1Hierarchies()) {
    const name = h.mountPoint.split('/').pop()!;
    const dir = join(target, name);
    mkdirSync(dir, { recursive: true });
    if (ownCgroup !== undefined) {
      sys.mount(join(h.mountPoint, ownCgroup), dir, null, MS.MS_BIND, null);
      if (flags) sys.mount(null, dir, null, MS.MS_BIND | MS.MS_REMOUNT | flags, null);
    } else {
      sys.mount('cgroup', dir, 'cgroup', flags, h.controllers.join(','));
    }
    for (const c of h.controllers) {
      if (c !== name && !c.startsWith('name=') && !existsSync(join(target, c))) symlinkSync(name, join(target, c));
    }
  }
  if (flags & MS.MS_RDONLY) sys.mount(null, target, null, MS.MS_REMOUNT | MS.MS_BIND | MS.MS_RDONLY | (flags & ~MS.MS_RDONLY), null);
}

/** Kernel filesystems the kernel must get a real directory for: never through a symlink (runc's rule). */
const ON_ORDINARY_DIRECTORY = new Set(['proc', 'sysfs', 'cgroup', 'cgroup2']);

/** `ownCgroup`: the container's cgroup path when it has no cgroup namespace of its own (v1 binds it). */
export function mountOne(rootfs: string, bundle: string, m: Mount, cgroupMode: 'v1' | 'v2', ownCgroup?: string): void {
  if (m.type && ON_ORDINARY_DIRECTORY.has(m.type)) {
    // A /proc that is a symlink (to / or ../../..) would put procfs over the rootfs itself.
    let kind: string | undefined;
    try {
      const st = lstatSync(join(rootfs, m.destination));
      if (!st.isDirectory()) kind = st.isSymbolicLink() ? 'a symlink' : 'not a directory';
    } catch {
      // not there yet: made as a directory below
    }
    if (kind) throw new Error(`mounts: filesystem "${m.type}" must be mounted on ordinary directory: ${m.destination} in the rootfs is ${kind}`);
  }
  const target = secureJoin(rootfs, m.destination);
  const opts = parseMountOptions(m.options);
  const isBind = m.type === 'bind' || opts.bind;
  if (isBind) {
    const source = isAbsolute(m.source!) ? m.source! : resolve(bundle, m.source!);
    if (!existsSync(source)) throw new Error(`mounts: bind source ${source} for ${m.destination} does not exist`);
    ensureTarget(target, !statSync(source).isDirectory());
    sys.mount(source, target, null, MS.MS_BIND | (opts.rec ? MS.MS_REC : 0), null);
    // Flags on a bind only take effect through a remount.
    if (opts.flags & ~MS.MS_REMOUNT) {
      sys.mount(null, target, null, MS.MS_BIND | MS.MS_REMOUNT | (opts.rec ? MS.MS_REC : 0) | opts.flags, null);
    }
  } else if (m.type === 'cgroup' || m.type === 'cgroup2') {
    ensureTarget(target, false);
    if (cgroupMode === 'v2' || m.type === 'cgroup2') sys.mount('cgroup2', target, 'cgroup2', opts.flags, null);
    else mountCgroupV1(target, opts.flags, ownCgroup);
  } else {
    ensureTarget(target, false);
    const data = opts.data.length > 0 ? opts.data.join(',') : null;
    try {
      sys.mount(m.source ?? m.type ?? 'none', target, m.type ?? null, opts.flags, data);
    } catch (err) {
      // sysfs cannot be mounted without a new network namespace: bind the host's, read-only, as runc does.
      if (m.type === 'sysfs' && err instanceof SysError && err.errno === 'EPERM') {
        sys.mount('/sys', target, null, MS.MS_BIND | MS.MS_REC, null);
        sys.mount(null, target, null, MS.MS_BIND | MS.MS_REMOUNT | MS.MS_REC | MS.MS_RDONLY | opts.flags, null);
      } else {
        throw err;
      }
    }
  }
  for (const p of opts.propagation) sys.mount(null, target, null, p, null);
}

export const DEFAULT_DEVICES: Device[] = [
  { type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o666 },
  { type: 'c', path: '/dev/zero', major: 1, minor: 5, fileMode: 0o666 },
  { type: 'c', path: '/dev/full', major: 1, minor: 7, fileMode: 0o666 },
  { type: 'c', path: '/dev/random', major: 1, minor: 8, fileMode: 0o666 },
  { type: 'c', path: '/dev/urandom', major: 1, minor: 9, fileMode: 0o666 },
  { type: 'c', path: '/dev/tty', major: 5, minor: 0, fileMode: 0o666 },
];

/**
 * Device nodes: mknod where we may; inside a user namespace mknod is refused, so bind-mount the host's
 * node instead.
 */
export function createDevices(rootfs: string, spec: Spec, inUserNamespace: boolean): void {
  const wanted = new Map<string, Device>();
  for (const d of DEFAULT_DEVICES) wanted.set(d.path, d);
  for (const d of spec.linux?.devices ?? []) wanted.set(d.path, d);
  const oldMask = sys.umask(0);
  try {
    for (const d of wanted.values()) {
      const target = secureJoin(rootfs, d.path);
      mkdirSync(dirname(target), { recursive: true });
      if (existsSync(target)) continue;
      if (inUserNamespace && existsSync(d.path)) {
        closeSync(openSync(target, 'a', 0o644));
        sys.mount(d.path, target, null, MS.MS_BIND, null);
        continue;
      }
      sys.mknod(target, (d.type === 'u' ? 'c' : d.type) as 'c' | 'b' | 'p', d.fileMode ?? 0o666, d.major ?? 0, d.minor ?? 0);
      if (d.uid !== undefined || d.gid !== undefined) chownSync(target, d.uid ?? 0, d.gid ?? 0);
    }
  } finally {
    sys.umask(oldMask);
  }
}

export function createDevSymlinks(rootfs: string): void {
  const links: Array<[string, string]> = [
    ['/proc/self/fd', 'fd'], ['/proc/self/fd/0', 'stdin'], ['/proc/self/fd/1', 'stdout'], ['/proc/self/fd/2', 'stderr'],
  ];
  if (existsSync('/proc/kcore')) links.push(['/proc/kcore', 'core']);
  const dev = secureJoin(rootfs, '/dev');
  for (const [target, name] of links) {
    const path = join(dev, name);
    try {
      lstatSync(path);
    } catch {
      symlinkSync(target, path);
    }
  }
  // /dev/ptmx must be the devpts instance's ptmx so that each container has its own ptys.
  if (existsSync(join(dev, 'pts/ptmx'))) {
    const ptmx = join(dev, 'ptmx');
    try {
      lstatSync(ptmx);
    } catch {
      symlinkSync('pts/ptmx', ptmx);
    }
  }
}

/**
 * pivot_root(".", "."): the old root ends up stacked on top of the new one, so unmounting "." after
 * the pivot removes the host's filesystem from the container entirely (no put_old directory needed).
 */
export function pivotRoot(rootfs: string): void {
  sys.chdir(rootfs);
  sys.pivotRoot('.', '.');
  // Make the old root a slave so that unmounting it does not propagate to the host.
  sys.mount(null, '.', null, MS.MS_SLAVE | MS.MS_REC, null);
  sys.umount2('.', MNT.MNT_DETACH);
  sys.chdir('/');
}

export function maskPaths(paths: string[]): void {
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      continue; // nothing to hide
    }
    if (st.isDirectory()) sys.mount('tmpfs', p, 'tmpfs', MS.MS_RDONLY, null);
    else sys.mount('/dev/null', p, null, MS.MS_BIND, null);
  }
}

export function readonlyPaths(paths: string[]): void {
  for (const p of paths) {
    if (!existsSync(p)) continue;
    sys.mount(p, p, null, MS.MS_BIND | MS.MS_REC, null);
    sys.mount(null, p, null, MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY | MS.MS_REC | lockedFlags(p), null);
  }
}

/** Flags the kernel keeps locked on a mount (nosuid, nodev, noexec): a remount must repeat them. */
function lockedFlags(path: string): number {
  const o = mountOf(path)?.options ?? [];
  return (o.includes('nosuid') ? MS.MS_NOSUID : 0) | (o.includes('nodev') ? MS.MS_NODEV : 0) | (o.includes('noexec') ? MS.MS_NOEXEC : 0);
}

export function remountRootReadonly(): void {
  sys.mount(null, '/', null, MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY | lockedFlags('/'), null);
}

/**
 * The init's filesystem work before pivot_root, in our own mount namespace: keep our mounts from
 * propagating to the host, bind the rootfs onto itself (pivot_root needs a mount point), every mount
 * of config.json in order, the device nodes and /dev's symlinks. beforeCgroupMount runs before the
 * first cgroup filesystem (it shows the cgroup namespace's root, so the init must be in its cgroup).
 */
export function mountContainerFilesystems(
  config: Pick<InitConfig, 'rootfs' | 'bundle' | 'spec' | 'cgroupMode' | 'inUserNamespace' | 'unshareFlags' | 'cgroupPath'>, beforeCgroupMount: () => void,
): void {
  isolatePropagation(config.spec);
  bindRootfs(config.rootfs);
  for (const m of config.spec.mounts ?? []) {
    if (m.type === 'cgroup' || m.type === 'cgroup2') beforeCgroupMount();
    // without a cgroup namespace (v1), the cgroup mount shows the container's own cgroup, as runc does
    mountOne(config.rootfs, config.bundle, m, config.cgroupMode, config.unshareFlags & CLONE.CLONE_NEWCGROUP ? undefined : config.cgroupPath);
  }
  createDevices(config.rootfs, config.spec, config.inUserNamespace);
  createDevSymlinks(config.rootfs);
}

/**
 * After the createContainer hooks: pivot_root into the rootfs, the root's propagation, then what the
 * container must not see or change: masked paths, read-only paths, a read-only root.
 * beforeReadonly runs before the read-only paths (sysctls: /proc/sys becomes read-only with them).
 */
export function enterRootfs(spec: Spec, rootfs: string, beforeReadonly: () => void = () => {}): void {
  pivotRoot(rootfs);
  applyRootPropagation(spec);
  beforeReadonly();
  maskPaths(spec.linux?.maskedPaths ?? []);
  readonlyPaths(spec.linux?.readonlyPaths ?? []);
  if (spec.root?.readonly) remountRootReadonly();
}

export function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
