// The content store: an OCI image layout (oci-layout, index.json, blobs/sha256/…) under
// <dataRoot>/oci, so skopeo and umoci read it as `oci:<dataRoot>/oci:<name>`. Blobs are written
// to a temporary file and renamed into place only once verified; index.json is replaced
// atomically, and an image is tagged only after every blob it needs is present, so a crash or a
// failed pull never leaves a half image that looks whole.
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { close, createWriteStream, write, writev } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { digestHex, sha256Digest, verifyingStream, DIGEST_RE, DigestMismatchError } from './digest.js';
import { withFileLock } from './lock.js';
import { processAlive } from '../runtime/proc.js';
import {
  CONTAINERD_NAME, MEDIA, REF_NAME, REPO_DIGEST, TAGGED_AT, isIndexType, type Descriptor, type ImageConfig, type Index, type Manifest,
} from './media.js';
import { familiarRepo, formatReference, parseReference, type ImageReference } from './reference.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../write-atomic.js';

export interface StoredImage {
  /** Full normalised name (docker.io/library/busybox:latest); undefined for untagged entries. */
  name: string;
  descriptor: Descriptor;
}

export interface ResolvedImage {
  names: string[];
  manifestDigest: string;
  manifest: Manifest;
  configDigest: string;
  config: ImageConfig;
  descriptor: Descriptor;
}

/** Told how a blob file grows while `ingest` writes it. */
export interface IngestWatcher {
  /** The temporary file exists (empty). */
  opened(path: string): void;
  /** `total` bytes are written to it. */
  wrote(total: number): void;
  /** Written and verified (the blob is in place), or given up. */
  closed(stored: boolean): void;
}

/**
 * A file sink that reports each completed write. Chunks that arrive while a write is under way go
 * out together in one writev, and the watcher hears of them once: a download of 64 KiB socket
 * reads becomes far fewer writes and growth messages. Made by a function, not a class declared at
 * load: a subclass of Writable would load node:stream for every command that opens the store.
 */
function watchedFile(fd: number, watch: IngestWatcher): Writable {
  let total = 0;
  let fdClosed = false;
  const writeAll = (chunk: Buffer, offset: number, cb: (err?: Error | null) => void): void => {
    write(fd, chunk, offset, chunk.length - offset, null, (err, n) => {
      if (err) return cb(err);
      if (offset + n < chunk.length) return writeAll(chunk, offset + n, cb);
      cb();
    });
  };
  const grown = (bytes: number, cb: (err?: Error | null) => void) => (err?: Error | null): void => {
    if (err) return cb(err);
    total += bytes;
    watch.wrote(total);
    cb();
  };
  return new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
      writeAll(chunk, 0, grown(chunk.length, cb));
    },
    writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
      const buffers = chunks.map((c) => c.chunk);
      const bytes = buffers.reduce((n, b) => n + b.length, 0);
      const done = grown(bytes, cb);
      writev(fd, buffers, null, (err, n) => {
        if (err) return done(err);
        // a short writev (rare on a regular file): the rest goes out as one buffer
        if (n < bytes) return writeAll(Buffer.concat(buffers).subarray(n), 0, done);
        done();
      });
    },
    final(cb: (err?: Error | null) => void): void {
      fdClosed = true;
      close(fd, (err) => cb(err));
    },
    destroy(err: Error | null, cb: (err?: Error | null) => void): void {
      if (fdClosed) return cb(err);
      fdClosed = true;
      close(fd, () => cb(err));
    },
  });
}

export class ImageStore {
  readonly layout: string;
  readonly tmp: string;
  readonly snapshots: string;
  private readonly lockPath: string;

  constructor(readonly dataRoot: string) {
    this.layout = join(dataRoot, 'oci');
    this.tmp = join(dataRoot, 'tmp');
    this.snapshots = join(dataRoot, 'snapshots');
    this.lockPath = join(dataRoot, 'store.lock');
    mkdirSync(join(this.layout, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
    mkdirSync(this.tmp, { recursive: true, mode: 0o700 });
    mkdirSync(this.snapshots, { recursive: true, mode: 0o700 });
    const layoutFile = join(this.layout, 'oci-layout');
    if (!existsSync(layoutFile)) this.atomicWrite(layoutFile, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    if (!existsSync(join(this.layout, 'index.json'))) this.writeIndex({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] });
  }

  blobPath(digest: string): string {
    return join(this.layout, 'blobs', 'sha256', digestHex(digest));
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  blobSize(digest: string): number {
    return statSync(this.blobPath(digest)).size;
  }

  readBlob(digest: string): Buffer {
    try {
      return readFileSync(this.blobPath(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(`blob ${digest} is missing from the store ${this.layout}; pull the image again`);
      }
      throw err;
    }
  }

  readJson<T>(digest: string): T {
    return JSON.parse(this.readBlob(digest).toString('utf8')) as T;
  }

  tempPath(prefix: string): string {
    return join(this.tmp, `${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /** Writes a file so that readers see the old content or the new, never a part. */
  atomicWrite(path: string, data: string | Buffer): void {
    writeFileAtomic(path, data, { mode: 0o644, durable: true });
  }

  /** Stores bytes as a blob; with `expected`, refuses bytes that do not hash to it. */
  putBlob(data: Buffer | string, expected?: string): { digest: string; size: number } {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = sha256Digest(buf);
    if (expected && expected !== digest) throw new DigestMismatchError(expected, digest);
    if (!this.hasBlob(digest)) this.atomicWrite(this.blobPath(digest), buf);
    return { digest, size: buf.length };
  }

  /**
   * Streams a blob into the store, verifying size and digest on the way; nothing stays on failure.
   * `watch` hears of the file while it is written (to unpack a layer as it downloads).
   */
  async ingest(source: Readable, digest: string, size?: number, what = 'blob', watch?: IngestWatcher): Promise<void> {
    if (!DIGEST_RE.test(digest)) throw new Error(`refusing ${what} with malformed digest "${digest}"`);
    if (this.hasBlob(digest)) {
      source.resume();
      return;
    }
    const tmp = this.tempPath('ingest');
    // Opened here, not by the stream: a stream opens its file later, on the thread pool, so a
    // source failing at once would have us remove the file before it exists, and leave it behind.
    const fd = openSync(tmp, 'wx', 0o644);
    let stored = false;
    try {
      watch?.opened(tmp);
      const sink = watch ? watchedFile(fd, watch) : createWriteStream('', { fd });
      await pipeline(source, verifyingStream(digest, size, what), sink);
      renameSync(tmp, this.blobPath(digest));
      stored = true;
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    } finally {
      watch?.closed(stored);
    }
  }

  /** Moves a file this process wrote under tmp/ into place as the blob `digest` (already computed). */
  adoptBlob(tmpFile: string, digest: string): void {
    if (!DIGEST_RE.test(digest)) throw new Error(`refusing blob with malformed digest "${digest}"`);
    if (this.hasBlob(digest)) rmSync(tmpFile, { force: true });
    else renameSync(tmpFile, this.blobPath(digest));
  }

  readIndex(): Index {
    return JSON.parse(readFileSync(join(this.layout, 'index.json'), 'utf8')) as Index;
  }

  private writeIndex(index: Index): void {
    this.atomicWrite(join(this.layout, 'index.json'), JSON.stringify(index, null, 2));
  }

  withLock<T>(fn: () => T | Promise<T>): Promise<T> {
    return withFileLock(this.lockPath, fn);
  }

  list(): StoredImage[] {
    return this.readIndex().manifests
      .filter((d) => d.annotations?.[REF_NAME])
      .map((d) => ({ name: d.annotations![REF_NAME]!, descriptor: d }));
  }

  /** Points `name` at a manifest (or index) already in the store. Call after all blobs are in. */
  async tag(name: string, descriptor: Descriptor, annotations: Record<string, string> = {}): Promise<void> {
    this.assertComplete(descriptor);
    await this.withLock(() => {
      const index = this.readIndex();
      index.manifests = index.manifests.filter((d) => d.annotations?.[REF_NAME] !== name);
      const entry: Descriptor = {
        mediaType: descriptor.mediaType,
        digest: descriptor.digest,
        size: descriptor.size,
        ...(descriptor.platform ? { platform: descriptor.platform } : {}),
        annotations: { ...annotations, [REF_NAME]: name, [CONTAINERD_NAME]: name, [TAGGED_AT]: new Date().toISOString() },
      };
      index.manifests.push(entry);
      this.writeIndex(index);
    });
  }

  async untag(name: string): Promise<boolean> {
    return this.withLock(() => {
      const index = this.readIndex();
      const before = index.manifests.length;
      index.manifests = index.manifests.filter((d) => d.annotations?.[REF_NAME] !== name);
      if (index.manifests.length === before) return false;
      this.writeIndex(index);
      return true;
    });
  }

  /** Throws unless the manifest, its config and every layer are present. */
  assertComplete(descriptor: Descriptor): void {
    for (const d of this.reachable(descriptor)) {
      if (!this.hasBlob(d)) throw new Error(`image ${descriptor.digest} is incomplete: blob ${d} is missing`);
    }
  }

  /** Every blob digest a manifest or index refers to, itself included. */
  reachable(descriptor: Descriptor): string[] {
    const out = [descriptor.digest];
    if (!this.hasBlob(descriptor.digest)) return out;
    if (isIndexType(descriptor.mediaType)) {
      const index = this.readJson<Index>(descriptor.digest);
      for (const m of index.manifests) if (this.hasBlob(m.digest)) out.push(...this.reachable(m));
    } else {
      const manifest = this.readJson<Manifest>(descriptor.digest);
      out.push(manifest.config.digest, ...manifest.layers.map((l) => l.digest));
    }
    return out;
  }

  /**
   * Finds an image by name (busybox, busybox:1.36, docker.io/…), by image ID (config digest,
   * full or a unique prefix) or by manifest digest. Undefined when nothing matches.
   */
  find(query: string): ResolvedImage | undefined {
    const images = this.list();
    let entry: StoredImage | undefined;
    const q = query.replace(/^sha256:/, '');
    if (/^[a-f0-9]{4,64}$/.test(q)) {
      const hits = new Map<string, StoredImage>();
      for (const image of images) {
        const manifestDigest = image.descriptor.digest;
        const configDigest = this.configDigestOf(image.descriptor);
        if (digestHex(manifestDigest).startsWith(q) || (configDigest && digestHex(configDigest).startsWith(q))) {
          hits.set(manifestDigest, image);
        }
      }
      if (hits.size > 1) throw new UsageError(`image ID prefix "${query}" is ambiguous: give more digits`);
      entry = [...hits.values()][0];
    }
    if (!entry) {
      let ref: ImageReference;
      try {
        ref = parseReference(query);
      } catch (err) {
        if (/^[a-f0-9]{4,64}$/.test(q)) return undefined; // an ID prefix that matched nothing
        throw err;
      }
      const name = formatReference(ref);
      entry = images.find((i) => i.name === name);
      if (!entry && ref.digest) {
        entry = images.find((i) => i.descriptor.digest === ref.digest || i.descriptor.annotations?.[REPO_DIGEST] === ref.digest);
      }
    }
    if (!entry) return undefined;
    return this.resolveDescriptor(entry.descriptor);
  }

  resolveDescriptor(descriptor: Descriptor): ResolvedImage {
    const manifest = this.readJson<Manifest>(descriptor.digest);
    const config = this.readJson<ImageConfig>(manifest.config.digest);
    const names = this.list().filter((i) => i.descriptor.digest === descriptor.digest).map((i) => i.name);
    return { names, manifestDigest: descriptor.digest, manifest, configDigest: manifest.config.digest, config, descriptor };
  }

  private configDigestOf(descriptor: Descriptor): string | undefined {
    if (isIndexType(descriptor.mediaType) || !this.hasBlob(descriptor.digest)) return undefined;
    return this.readJson<Manifest>(descriptor.digest).config.digest;
  }

  /** Blob digests in blobs/sha256. */
  allBlobs(): string[] {
    return readdirSync(join(this.layout, 'blobs', 'sha256'))
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => `sha256:${n}`);
  }

  /** Removes a file in tmp/ left by a dead process. */
  cleanTmp(): void {
    for (const name of readdirSync(this.tmp)) {
      const pid = Number(/^[a-z]+-(\d+)-/.exec(name)?.[1]);
      if (!pid || pid === process.pid) continue;
      if (!processAlive(pid)) rmSync(join(this.tmp, name), { recursive: true, force: true });
    }
  }

  unlinkBlob(digest: string): void {
    try {
      unlinkSync(this.blobPath(digest));
    } catch {
      // already gone
    }
  }
}

/** How `tslab image ls` shows a stored name: repository and tag, the familiar way. */
export function displayName(name: string): { repository: string; tag: string } {
  try {
    const ref = parseReference(name);
    return { repository: familiarRepo(ref), tag: ref.tag ?? '<none>' };
  } catch {
    return { repository: name, tag: '<none>' };
  }
}
