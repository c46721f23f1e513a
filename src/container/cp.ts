// `tslab container cp`: files between a container and the host, or a tar on stdin/stdout (`-`).
// Every container path resolves inside the container's root the way a chroot would see it
// (resolveInRoot: `..` and symlinks, absolute or relative, never leave it), and a running
// container is frozen while we copy, as docker does since CVE-2018-15664, so nothing inside
// can swap a path for a symlink between our check and our use. Into the container, a tar goes
// through the same safe unpacker as pulled layers; copied files belong to root, modes and
// times are kept.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, realpathSync, type Stats } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { UsageError } from '../errors.js';
import { applyLayer, cleanComponents, resolveInRoot } from '../image/unpack.js';
import { walk, type SourceRoot } from '../build/context.js';
import { copyEntry, copyInto } from '../build/copy.js';
import { dataRoot, refresh } from './state.js';
import { prepareBundle } from './create.js';
import { setPaused } from './verbs.js';
import { containerDir, type ContainerRecord } from './record.js';
import { isMounted, rootfsPaths, unmountRootfs } from './rootfs.js';

function lstatOr(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Runs fn with the container's root: the running container's own view (its volumes too), or its mounted rootfs. */
async function withRoot<T>(record: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
  refresh(record);
  if (record.state.status === 'running' && record.state.pid) {
    await setPaused(record, true);
    try {
      return await fn(`/proc/${record.state.pid}/root`);
    } finally {
      await setPaused(record, false);
    }
  }
  if (record.state.status === 'paused' && record.state.pid) return fn(`/proc/${record.state.pid}/root`);
  const dir = containerDir(dataRoot(), record.id);
  const rootfs = rootfsPaths(dir).rootfs;
  const mountedHere = !isMounted(rootfs);
  if (mountedHere) prepareBundle(record);
  try {
    return await fn(rootfs);
  } finally {
    if (mountedHere) unmountRootfs(dir);
  }
}

/** A container path as a host path under root; the last component is not followed (cp copies a symlink as one). */
function inRoot(root: string, path: string): string {
  const parts = cleanComponents(path);
  if (parts.length === 0) return root;
  return join(resolveInRoot(root, parts.slice(0, -1)), parts[parts.length - 1]!);
}

/** Container → host folder or file, or a tar on `out` for `-`. */
export async function copyFromContainer(record: ContainerRecord, path: string, dest: string, out: NodeJS.WritableStream): Promise<void> {
  await withRoot(record, async (root) => {
    const src = inRoot(root, path);
    const st = lstatOr(src);
    if (!st) throw new UsageError(`no such file or folder in container ${record.name}: ${path}`);
    if (dest === '-') {
      // GNU tar does not follow the symlinks it meets; -C is the resolved folder inside the root
      const tar = spawn('tar', ['--numeric-owner', '-C', dirname(src), '-cf', '-', basename(src)], { stdio: ['ignore', 'pipe', 'pipe'] });
      tar.stdout.pipe(out as NodeJS.WritableStream, { end: false });
      let err = '';
      tar.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number>((resolve) => tar.on('close', (c) => resolve(c ?? 1)));
      if (code !== 0) throw new Error(`tar failed: ${err.trim()}`);
      return;
    }
    const destSt = lstatOr(dest);
    const target = destSt?.isDirectory() ? join(dest, basename(src)) : dest;
    if (!destSt && !existsSync(dirname(dest))) throw new UsageError(`the host folder ${dirname(dest)} does not exist`);
    const sourceRoot: SourceRoot = { dir: root, kind: 'rootfs', label: `container ${record.name}` };
    const rel = posix.join(...cleanComponents(path));
    walk(sourceRoot, { path: src, rel }, (p, r, entry) => {
      const sub = r === rel ? '' : r.slice(rel.length + 1);
      copyEntry(p, entry, sub ? join(target, sub) : target, {});
    });
  });
}

/** Host file or folder (or a tar on `input` for `-`) → a path in the container. */
export async function copyToContainer(record: ContainerRecord, source: string, path: string, input: Readable): Promise<void> {
  await withRoot(record, async (root) => {
    const destParts = cleanComponents(path);
    if (source === '-') {
      const target = resolveInRoot(root, destParts);
      if (!lstatOr(target)?.isDirectory()) throw new UsageError(`with - the destination must be a folder in the container; ${path} is not`);
      await applyLayer(input, target, { whiteouts: 'delete' });
      return;
    }
    if (!existsSync(source)) throw new UsageError(`no such file or folder on the host: ${source}`);
    const real = realpathSync(source);
    const st = lstatSync(real);
    const destHost = resolveInRoot(root, destParts);
    const destIsDir = lstatOr(destHost)?.isDirectory() === true;
    if (!destIsDir && path.endsWith('/')) throw new UsageError(`the folder ${path} does not exist in container ${record.name}`);
    // docker cp: into an existing folder under the source's name, else as the given name
    const dest = destIsDir ? posix.join('/', ...destParts, basename(source)) : posix.join('/', ...destParts);
    const parent = resolveInRoot(root, cleanComponents(posix.dirname(dest)));
    if (!lstatOr(parent)?.isDirectory()) throw new UsageError(`the folder ${posix.dirname(dest)} does not exist in container ${record.name}`);
    const sourceRoot: SourceRoot = { dir: dirname(real), kind: 'context', label: 'the host' };
    await copyInto(root, sourceRoot, [{ path: real, rel: basename(real) }], st.isDirectory() ? dest : dest, {});
  });
}
