// Applies a layer tar to a directory. Two ways to express deletions:
//   overlay: whiteouts become 0:0 character devices and opaque dirs get trusted.overlay.opaque=y,
//            so the directory can be an overlayfs lowerdir (one snapshot per layer);
//   delete:  whiteouts delete what they name (a flattened root filesystem).
// Every name is resolved inside the root the way a chroot would see it: `..` cannot climb above
// the root, and symlinks met on the way (absolute or relative) are followed *within* the root.
// So no entry can create, change or delete anything outside it — the cases of containerd's
// TestBreakouts are our tests (test/unit/image/unpack-breakouts.test.ts).
import {
  chmodSync, closeSync, copyFileSync, existsSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync,
  lutimesSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import { TarReader, type BodySink, type TarHeader } from './tar-reader.js';
import { sys } from '../runtime/sys/index.js';

export type WhiteoutMode = 'overlay' | 'delete';

export interface ApplyOptions {
  whiteouts: WhiteoutMode;
  /** Lower layers (top first) searched for hard-link targets that this layer does not carry. */
  lowers?: string[];
  /** Apply uid/gid from the tar (default: when running as root). */
  owners?: boolean;
  /**
   * Nothing else changes `root` while the layer is applied (a snapshot being unpacked in a
   * private folder), so a parent folder resolved once stays resolved until this layer itself
   * removes or replaces something. Not for a live root filesystem (container cp).
   */
  private?: boolean;
}

export interface ApplyResult {
  entries: number;
  /** Device nodes that could not be created (not root). */
  skippedDevices: number;
}

export class InvalidArchiveError extends Error {
  constructor(name: string, why: string) {
    super(`invalid layer entry "${name}": ${why}`);
  }
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const MAX_SYMLINKS = 255;

/** Cleans a tar name lexically against a root: no '', '.', and '..' never above the top. */
export function cleanComponents(name: string): string[] {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    // a missing path is the common answer while unpacking: no error object is made for it
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * The host path of `components` under `root`, following every symlink on the way as if `root`
 * were `/`. Components that do not exist are taken literally.
 */
export function resolveInRoot(root: string, components: string[]): string {
  let resolved: string[] = [];
  const queue = [...components];
  let links = 0;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, c);
    const st = lstatOrUndefined(candidate);
    if (st?.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw new Error(`too many levels of symbolic links resolving ${components.join('/')}`);
      const target = readlinkSync(candidate);
      if (target.startsWith('/')) resolved = [];
      queue.unshift(...target.split('/'));
      continue;
    }
    resolved.push(c);
  }
  return join(root, ...resolved);
}

/**
 * Parent folders already resolved inside the root, by their cleaned tar path. Anything that
 * removes or replaces a folder or a symlink forgets them all: the next entry resolves afresh.
 */
class ParentFolders {
  private readonly known = new Map<string, string>();
  constructor(private readonly root: string, private readonly enabled: boolean) {}

  /** The host path of the parent folder, created (mkdir -p) if missing. */
  make(components: string[]): string {
    const key = components.join('/');
    const hit = this.known.get(key);
    if (hit !== undefined) return hit;
    const path = resolveInRoot(this.root, components);
    mkdirSync(path, { recursive: true });
    if (this.enabled) this.known.set(key, path);
    return path;
  }

  /** `path` is a folder (not a symlink) at `components`: a parent of later entries. */
  remember(components: string[], path: string): void {
    if (this.enabled) this.known.set(components.join('/'), path);
  }

  /** The host path of the parent folder, not created. */
  resolve(components: string[]): string {
    return this.known.get(components.join('/')) ?? resolveInRoot(this.root, components);
  }

  forget(): void {
    this.known.clear();
  }

  /** Removes what is at `path` (a folder too unless keepDir); returns the folder's stats when kept. */
  removeExisting(path: string, keepDir: boolean): Stats | undefined {
    const st = lstatOrUndefined(path);
    if (!st) return undefined;
    if (st.isDirectory()) {
      if (keepDir) return st;
      this.forget();
      rmSync(path, { recursive: true, force: true });
      return undefined;
    }
    if (st.isSymbolicLink()) this.forget();
    unlinkSync(path);
    return undefined;
  }

  /** Runs `create`; when something is in the way, removes it and runs `create` once more. */
  replacing<T>(path: string, create: () => T): T {
    try {
      return create();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.removeExisting(path, false);
    return create();
  }
}

function setXattr(path: string, name: string, value: string): void {
  const r = spawnSync('setfattr', ['-h', '-n', name, '-v', value, path], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot set ${name} on ${path}: setfattr is missing (install the "attr" package)`);
  if (r.status !== 0) throw new Error(`cannot set ${name} on ${path}: ${r.stderr.trim()}`);
}

/** The entry's extended attributes (pax SCHILY.xattr.*); user.* only unless applying owners. */
function setXattrs(header: TarHeader, path: string, owners: boolean): void {
  if (!header.pax) return;
  for (const [key, value] of Object.entries(header.pax as Record<string, string>)) {
    if (!key.startsWith('SCHILY.xattr.')) continue;
    const name = key.slice('SCHILY.xattr.'.length);
    if (name.startsWith('trusted.overlay.')) throw new InvalidArchiveError(header.name, `carries the overlayfs xattr ${name}, which would change how layers stack`);
    if (owners || name.startsWith('user.')) setXattr(path, name, value);
  }
}

/** Applies one layer (an uncompressed tar stream) onto `root`. */
export async function applyLayer(tar: Readable, root: string, options: ApplyOptions): Promise<ApplyResult> {
  const owners = options.owners ?? process.getuid?.() === 0;
  const result: ApplyResult = { entries: 0, skippedDevices: 0 };
  const dirs: { path: string; mode: number; mtime: Date }[] = [];
  const createdHere = new Set<string>();
  mkdirSync(root, { recursive: true });
  const parents = new ParentFolders(root, options.private === true);
  const removeExisting = (path: string, keepDir: boolean): Stats | undefined => parents.removeExisting(path, keepDir);

  /** The file being written: closed if the layer fails before its body ends. */
  let openFd: number | undefined;

  /** Applies one entry; a regular file's content goes to the returned sink. */
  const handle = (header: TarHeader): BodySink | undefined => {
    const components = cleanComponents(header.name);
    const type = header.type;
    if (components.length === 0) return; // the root itself ('./', '/', '..'): never replaced
    const base = components[components.length - 1]!;
    const parentComponents = components.slice(0, -1);

    if (base.startsWith(WHITEOUT)) {
      const parent = parents.resolve(parentComponents);
      parents.forget();
      if (base === OPAQUE) {
        if (options.whiteouts === 'overlay') {
          mkdirSync(parent, { recursive: true });
          setXattr(parent, 'trusted.overlay.opaque', 'y');
        } else if (existsSync(parent)) {
          for (const child of readdirSync(parent)) {
            const p = join(parent, child);
            if (!createdHere.has(p)) rmSync(p, { recursive: true, force: true });
          }
        }
        return;
      }
      if (base.startsWith(`${WHITEOUT}${WHITEOUT}`)) return; // other AUFS metadata: meaningless here
      const victim = base.slice(WHITEOUT.length);
      if (victim === '' || victim === '.' || victim === '..') throw new InvalidArchiveError(header.name, 'a whiteout must name an entry, not the directory itself or its parent');
      const path = join(parent, victim);
      if (options.whiteouts === 'overlay') {
        mkdirSync(parent, { recursive: true });
        removeExisting(path, false);
        sys.mknod(path, 'c', 0, 0, 0);
      } else {
        rmSync(path, { recursive: true, force: true });
      }
      return;
    }

    result.entries++;
    const parent = parents.make(parentComponents);
    const path = join(parent, base);
    const mode = header.mode & 0o7777;
    const mtime = header.mtime;

    switch (type) {
      case 'directory': {
        try {
          mkdirSync(path, { mode: 0o700 });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          if (!removeExisting(path, true)) mkdirSync(path, { mode: 0o700 });
        }
        parents.remember(components, path);
        dirs.push({ path, mode, mtime });
        break;
      }
      case 'file':
      case 'contiguous-file': {
        // O_EXCL: an existing entry (a symlink above all) is removed, never written through
        const fd = parents.replacing(path, () => openSync(path, 'wx', 0o600));
        openFd = fd;
        return {
          write: (chunk) => {
            writeSync(fd, chunk);
          },
          end: () => {
            try {
              // metadata through the open file: no more path lookups
              if (owners) fchownSync(fd, header.uid, header.gid);
              fchmodSync(fd, mode);
              futimesSync(fd, mtime, mtime);
            } finally {
              openFd = undefined;
              closeSync(fd);
            }
            createdHere.add(path);
            setXattrs(header, path, owners);
          },
        };
      }
      case 'symlink':
        parents.replacing(path, () => symlinkSync(header.linkname ?? '', path));
        break;
      case 'link': {
        const targetComponents = cleanComponents(header.linkname ?? '');
        if (targetComponents.length === 0) throw new InvalidArchiveError(header.name, 'a hard link must point at a file');
        const targetBase = targetComponents[targetComponents.length - 1]!;
        let target = join(resolveInRoot(root, targetComponents.slice(0, -1)), targetBase);
        let st = lstatOrUndefined(target);
        let copyFrom: string | undefined;
        if (!st) {
          for (const lower of options.lowers ?? []) {
            const candidate = join(resolveInRoot(lower, targetComponents.slice(0, -1)), targetBase);
            if (lstatOrUndefined(candidate)) {
              copyFrom = candidate;
              break;
            }
          }
          if (!copyFrom) throw new InvalidArchiveError(header.name, `hard link target "${header.linkname}" does not exist in the layer`);
          target = copyFrom;
          st = lstatSync(target);
        }
        if (st.isDirectory()) throw new InvalidArchiveError(header.name, `hard link target "${header.linkname}" is a directory`);
        if (target === path) break;
        removeExisting(path, false);
        if (copyFrom) {
          if (st.isSymbolicLink()) symlinkSync(readlinkSync(copyFrom), path);
          else copyFileSync(copyFrom, path);
        } else {
          linkSync(target, path);
        }
        createdHere.add(path);
        return; // a hard link shares the target's metadata
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        removeExisting(path, false);
        try {
          if (type === 'fifo') sys.mkfifo(path, mode);
          else sys.mknod(path, type === 'character-device' ? 'c' : 'b', mode, header.devmajor, header.devminor);
        } catch (err) {
          if (owners) throw err;
          result.skippedDevices++;
          return;
        }
        break;
      }
    }
    createdHere.add(path);
    if (owners) lchownSync(path, header.uid, header.gid);
    if (type !== 'symlink' && type !== 'directory') chmodSync(path, mode);
    setXattrs(header, path, owners);
    if (type !== 'directory') lutimesSync(path, mtime, mtime);
  };

  const reader = new TarReader(handle);
  try {
    // 'data' events, not for-await: the entries are applied synchronously as each chunk comes
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        try {
          reader.write(chunk);
        } catch (err) {
          tar.removeListener('data', onData);
          tar.destroy();
          reject(err as Error);
        }
      };
      tar.on('data', onData);
      tar.once('end', () => {
        try {
          reader.end();
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      });
      tar.once('error', reject);
    });
  } finally {
    if (openFd !== undefined) closeSync(openFd);
  }

  // Directories last, deepest first: their modes may forbid writing and their times change
  // whenever an entry is added inside.
  for (let i = dirs.length - 1; i >= 0; i--) {
    const d = dirs[i]!;
    const st = lstatOrUndefined(d.path);
    if (!st?.isDirectory()) continue;
    chmodSync(d.path, d.mode);
    lutimesSync(d.path, d.mtime, d.mtime);
  }
  return result;
}
