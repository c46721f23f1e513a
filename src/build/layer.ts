// A container's upper directory → one image layer. The changes overlayfs recorded (src/container's
// diffUpper: added, changed, deleted against the lowers) become a tar in the OCI layer format —
// a deletion is an empty `.wh.NAME` file, a directory that hides the lowers gets `.wh..wh..opq` —
// hashed as it streams (the diff ID), gzip-compressed and hashed again (the blob digest), stored
// in the image store, and unpacked once as the snapshot the next step stacks on.
import { createReadStream, createWriteStream, lstatSync, readlinkSync, rmSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, posix } from 'node:path';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

type Headers = Partial<Header> & { name: string };
import { diffUpper } from '../container/rootfs.js';
import { chainIds } from '../image/digest.js';
import { MEDIA, type Descriptor } from '../image/media.js';
import { unpackSnapshot } from '../image/snapshots.js';
import type { ImageStore } from '../image/store.js';

export interface Layer {
  descriptor: Descriptor;
  diffId: string;
  /** Entries in the tar (whiteouts included). */
  entries: number;
}

class Hasher extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

function typeOf(st: Stats): Header["type"] {
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  if (st.isFIFO()) return 'fifo';
  return 'file';
}

/**
 * Writes the changes of `upper` against `lowers` (top first) as a layer blob in the store.
 * Nothing is stored when it fails, and nothing when the step changed nothing (undefined).
 */
export async function layerFromUpper(store: ImageStore, upper: string, lowers: string[]): Promise<Layer | undefined> {
  const changes = diffUpper(upper, lowers);
  if (changes.length === 0) return undefined;
  const tar = pack();
  const links = new Map<string, string>();
  let entries = 0;
  const produce = (async () => {
    for (const c of changes) {
      const name = c.path.slice(1);
      if (c.kind === 'D') {
        const dir = posix.dirname(name);
        await entry(tar, { name: posix.join(dir === '.' ? '' : dir, `.wh.${posix.basename(name)}`), type: 'file', size: 0, mode: 0o644, mtime: new Date(0) });
        entries++;
        continue;
      }
      const full = join(upper, name);
      const st = lstatSync(full);
      const type = typeOf(st);
      const header: Headers = {
        name: type === 'directory' ? `${name}/` : name, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime,
      };
      if (type === 'file' && st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first) {
          await entry(tar, { ...header, type: 'link', linkname: first, size: 0 });
          entries++;
          continue;
        }
        links.set(key, name);
      }
      if (type === 'symlink') header.linkname = readlinkSync(full);
      if (type === 'character-device' || type === 'block-device') {
        header.devmajor = Math.floor(st.rdev / 256) & 0xfff;
        header.devminor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
      }
      if (type === 'file') {
        header.size = st.size;
        await fileEntry(tar, header, full);
      } else {
        await entry(tar, header);
      }
      entries++;
      if (c.opaque) {
        await entry(tar, { name: `${name}/.wh..wh..opq`, type: 'file', size: 0, mode: 0o644, mtime: new Date(0) });
        entries++;
      }
    }
    tar.finalize();
  })();
  const tmp = store.tempPath('layer');
  const plain = new Hasher();
  const compressed = new Hasher();
  try {
    await Promise.all([
      produce.catch((err: Error) => {
        tar.destroy(err);
        throw err;
      }),
      pipeline(tar as unknown as NodeJS.ReadableStream, plain, createGzip({ level: 6 }), compressed, createWriteStream(tmp, { mode: 0o644 })),
    ]);
    const digest = compressed.digest();
    store.adoptBlob(tmp, digest);
    return { descriptor: { mediaType: MEDIA.ociLayerGzip, digest, size: compressed.bytes }, diffId: plain.digest(), entries };
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function entry(tar: ReturnType<typeof pack>, header: Headers): Promise<void> {
  return new Promise((resolve, reject) => {
    // an empty body, given: a file entry without one waits for a stream that never comes
    tar.entry(header, Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
  });
}

function fileEntry(tar: ReturnType<typeof pack>, header: Headers, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = tar.entry(header, (err) => (err ? reject(err) : resolve()));
    const source = createReadStream(path);
    source.on('error', (err) => sink.destroy(err));
    source.pipe(sink as unknown as PassThrough);
  });
}

/** Unpacks a new layer as the snapshot above `parentChain` (chain IDs, bottom first); returns its chain ID. */
export async function snapshotLayer(store: ImageStore, layer: Layer, parentDiffIds: string[]): Promise<string> {
  const chain = chainIds([...parentDiffIds, layer.diffId]);
  await unpackSnapshot(store, layer.descriptor, layer.diffId, chain[chain.length - 1]!, chain.slice(0, -1));
  return chain[chain.length - 1]!;
}
