// COPY and ADD into a mounted root filesystem. The destination resolves inside the rootfs (an
// image's symlink such as /app -> /etc stays in the image), files keep their mode and mtime and
// belong to root or to --chown, symlinks are copied as symlinks, and ADD of a local tar archive
// unpacks through the same safe unpacker as pulled layers (src/image/unpack.ts).
import {
  chmodSync, closeSync, copyFileSync, createReadStream, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, readSync,
  readlinkSync, rmSync, symlinkSync, type Stats,
} from 'node:fs';
import { join, posix } from 'node:path';
import { decompressor, sniffCompression } from '../image/compression.js';
import { applyLayer, cleanComponents, resolveInRoot } from '../image/unpack.js';
import { walk, type Source, type SourceRoot } from './context.js';

export interface CopyOptions {
  owner?: { uid: number; gid: number };
  /** --chmod: the mode for every copied file and folder. */
  mode?: number;
  /** ADD: unpack local tar archives instead of copying them. */
  unpackArchives?: boolean;
}

function lstatOr(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** mkdir -p inside the rootfs; the folders it makes belong to `owner` (root by default). */
export function mkdirInRoot(rootfs: string, dir: string, owner?: { uid: number; gid: number }): string {
  const parts = cleanComponents(dir);
  for (let i = 1; i <= parts.length; i++) {
    const path = resolveInRoot(rootfs, parts.slice(0, i));
    if (path === rootfs) continue; // a symlink to / (the root may itself be /proc/PID/root, a link)
    const st = lstatOr(path);
    if (st?.isDirectory()) continue;
    if (st) rmSync(path, { force: true });
    mkdirSync(path, { mode: 0o755 });
    if (owner) lchownSync(path, owner.uid, owner.gid);
  }
  return resolveInRoot(rootfs, parts);
}

function tarKind(path: string): ReturnType<typeof sniffCompression> | undefined {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(512);
  const n = readSync(fd, head, 0, 512, 0);
  closeSync(fd);
  const compression = sniffCompression(Buffer.concat([head.subarray(0, Math.min(n, 8)), Buffer.alloc(8)]));
  if (compression === 'none') return n >= 262 && head.subarray(257, 262).toString() === 'ustar' ? 'none' : undefined;
  // compressed: docker unpacks it only if it holds a tar; the name tells us cheaply
  return /\.(tar\.gz|tgz|tar\.zst|tar\.zstd)$/.test(path) ? compression : undefined;
}

export function copyEntry(from: string, st: Stats, to: string, opts: CopyOptions): void {
  const existing = lstatOr(to);
  if (st.isDirectory()) {
    if (!existing?.isDirectory()) {
      if (existing) rmSync(to, { force: true });
      mkdirSync(to);
    }
  } else {
    if (existing?.isDirectory()) throw new Error(`cannot copy a file over the folder ${to}`);
    if (existing) rmSync(to, { force: true });
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (st.isFile()) copyFileSync(from, to);
    else return; // sockets, devices, fifos in a context are not copied
  }
  lchownSync(to, opts.owner?.uid ?? 0, opts.owner?.gid ?? 0);
  if (!st.isSymbolicLink()) chmodSync(to, opts.mode ?? st.mode & 0o7777);
  lutimesSync(to, st.atime, st.mtime);
}

/**
 * Copies `sources` to `dest` (absolute in the image) in the rootfs mounted at `rootfs`, the way
 * docker does: a folder's contents go into dest; a file goes to dest, or into dest when it ends
 * with / or is a folder; several sources need a folder.
 */
export async function copyInto(rootfs: string, root: SourceRoot, sources: Source[], dest: string, opts: CopyOptions): Promise<void> {
  const destIsDir = dest.endsWith('/') || sources.length > 1 || lstatOr(resolveInRoot(rootfs, cleanComponents(dest)))?.isDirectory() === true;
  for (const s of sources) {
    const st = lstatSync(s.path);
    if (st.isFile() && opts.unpackArchives) {
      const kind = tarKind(s.path);
      if (kind) {
        const target = mkdirInRoot(rootfs, dest, opts.owner);
        const tar = createReadStream(s.path).pipe(decompressor(kind));
        await applyLayer(tar, target, { whiteouts: 'delete' });
        continue;
      }
    }
    let target: string;
    if (st.isDirectory()) {
      target = mkdirInRoot(rootfs, dest, opts.owner);
    } else {
      const file = destIsDir ? posix.join(dest, posix.basename(s.rel || s.path)) : dest;
      const parent = mkdirInRoot(rootfs, posix.dirname(file), opts.owner);
      target = join(parent, posix.basename(file));
    }
    // the source root's own folder is not copied, only what it holds (docker's COPY dir/ dest)
    const base = s.rel;
    walk(root, s, (path, rel, entry) => {
      if (rel === base && entry.isDirectory()) return;
      const sub = rel === base ? '' : rel.slice(base ? base.length + 1 : 0);
      let to = sub === '' ? target : join(target, sub);
      if (sub !== '') {
        // an image symlink in the way resolves inside the rootfs, never onto the host
        const parentSt = lstatOr(join(to, '..'));
        if (parentSt?.isSymbolicLink()) to = join(resolveInRoot(rootfs, cleanComponents(join(to, '..').slice(rootfs.length))), posix.basename(sub));
      }
      copyEntry(path, entry, to, opts);
    });
    if (st.isDirectory() && opts.owner) lchownSync(target, opts.owner.uid, opts.owner.gid);
  }
}
