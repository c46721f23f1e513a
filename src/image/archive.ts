// Image archives: `load` reads what `docker save` and `skopeo copy … docker-archive:/oci-archive:`
// write; `save` writes an OCI archive that also carries docker's manifest.json, so both `docker
// load` and skopeo read it; `import` turns a root filesystem tarball into a one-layer image.
import {
  closeSync, createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { UsageError } from '../errors.js';
import { decompressor, sniffCompression } from './compression.js';
import { digestHex } from './digest.js';
import { storeSingleLayerImage } from './layer-build.js';
import {
  CONTAINERD_NAME, hostPlatform, isIndexType, MEDIA, REF_NAME,
  type Descriptor, type ImageConfig, type Index, type Manifest,
} from './media.js';
import { formatReference, parseReference } from './reference.js';
import { selectPlatform } from './pull.js';
import { ensureSnapshots } from './snapshots.js';
import type { ImageStore } from './store.js';
import { applyLayer, cleanComponents, resolveInRoot } from './unpack.js';

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

function headOf(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    const n = readSync(fd, buf, 0, 8, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function inArchive(dir: string, name: string): string {
  return resolveInRoot(dir, cleanComponents(name));
}

async function storeFile(store: ImageStore, path: string, expected?: string): Promise<{ digest: string; size: number }> {
  const digest = expected ?? await fileDigest(path);
  await store.ingest(createReadStream(path), digest, statSync(path).size, `archive file ${path.split('/').pop()}`);
  return { digest, size: statSync(path).size };
}

interface DockerArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Loads a docker-archive or OCI archive (optionally compressed); returns the names it tagged. */
export async function loadArchive(store: ImageStore, input: Readable): Promise<string[]> {
  const work = store.tempPath('load');
  mkdirSync(work, { recursive: true });
  try {
    // spool to a file first, to sniff compression; then the same safe unpacker as layers, so an
    // archive's names cannot escape the work folder
    const spooled = `${work}.tar`;
    await pipeline(input, createWriteStream(spooled));
    const compression = sniffCompression(Buffer.concat([headOf(spooled), Buffer.alloc(8)]));
    const tar = createReadStream(spooled).pipe(decompressor(compression));
    await applyLayer(tar, work, { whiteouts: 'delete', owners: false });
    const loaded: string[] = [];
    if (existsSync(join(work, 'index.json')) && existsSync(join(work, 'oci-layout'))) {
      const index = JSON.parse(readFileSync(join(work, 'index.json'), 'utf8')) as Index;
      const dockerNames = existsSync(join(work, 'manifest.json'))
        ? (JSON.parse(readFileSync(join(work, 'manifest.json'), 'utf8')) as DockerArchiveEntry[]).flatMap((e) => e.RepoTags ?? [])
        : [];
      const blob = (d: string): string => join(work, 'blobs', 'sha256', digestHex(d));
      for (const entry of index.manifests) {
        let descriptor: Descriptor = entry;
        if (isIndexType(entry.mediaType)) {
          const nested = JSON.parse(readFileSync(blob(entry.digest), 'utf8')) as Index;
          descriptor = selectPlatform(nested, hostPlatform(), 'the archive');
        }
        const manifest = JSON.parse(readFileSync(blob(descriptor.digest), 'utf8')) as Manifest;
        for (const d of [manifest.config, ...manifest.layers]) {
          if (!existsSync(blob(d.digest))) throw new UsageError(`the archive is incomplete: blob ${d.digest} is missing`);
          await storeFile(store, blob(d.digest), d.digest);
        }
        await storeFile(store, blob(descriptor.digest), descriptor.digest);
        const annotated = entry.annotations?.[CONTAINERD_NAME] ?? entry.annotations?.[REF_NAME];
        let names: string[] = [];
        if (annotated && (annotated.includes('/') || annotated.includes(':'))) names = [annotated];
        else if (dockerNames.length > 0 && index.manifests.length === 1) names = dockerNames;
        else if (annotated) throw new UsageError(`the archive names its image only "${annotated}"; tag it after loading is impossible without a repository: re-save it with a full name`);
        if (names.length === 0) throw new UsageError('the archive has an image without a name; docker and skopeo archives carry one (save with a name)');
        const config = store.readJson<ImageConfig>(manifest.config.digest);
        await ensureSnapshots(store, manifest, config);
        for (const n of names) {
          const name = formatReference(parseReference(n));
          await store.tag(name, { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size });
          loaded.push(name);
        }
      }
      return loaded;
    }
    if (existsSync(join(work, 'manifest.json'))) {
      const entries = JSON.parse(readFileSync(join(work, 'manifest.json'), 'utf8')) as DockerArchiveEntry[];
      for (const entry of entries) {
        const configFile = inArchive(work, entry.Config);
        const config = await storeFile(store, configFile);
        const imageConfig = JSON.parse(readFileSync(configFile, 'utf8')) as ImageConfig;
        const layers: Descriptor[] = [];
        for (const layerName of entry.Layers) {
          const path = inArchive(work, layerName);
          const stored = await storeFile(store, path);
          const kind = sniffCompression(headOf(path));
          const mediaType = kind === 'gzip' ? MEDIA.ociLayerGzip : kind === 'zstd' ? MEDIA.ociLayerZstd : MEDIA.ociLayer;
          layers.push({ mediaType, digest: stored.digest, size: stored.size });
        }
        const manifest: Manifest = {
          schemaVersion: 2,
          mediaType: MEDIA.ociManifest,
          config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.size },
          layers,
        };
        const m = store.putBlob(JSON.stringify(manifest));
        await ensureSnapshots(store, manifest, imageConfig);
        const tags = entry.RepoTags ?? [];
        if (tags.length === 0) throw new UsageError(`the archive has an untagged image (${config.digest}); save it with a name`);
        for (const tag of tags) {
          const name = formatReference(parseReference(tag));
          await store.tag(name, { mediaType: MEDIA.ociManifest, digest: m.digest, size: m.size });
          loaded.push(name);
        }
      }
      return loaded;
    }
    throw new UsageError('this is not an image archive: it has neither index.json + oci-layout (OCI) nor manifest.json (docker save)');
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(`${work}.tar`, { force: true });
  }
}

/** Writes `names` as one OCI archive with docker's manifest.json beside index.json. */
export async function saveArchive(store: ImageStore, names: string[], output: NodeJS.WritableStream): Promise<void> {
  const images = names.map((n) => {
    const image = store.find(n);
    if (!image) throw new UsageError(`no image "${n}" in the store: see \`tslab image ls\``);
    return { query: n, image };
  });
  const p = pack();
  const done = pipeline(p as unknown as Readable, output);
  const written = new Set<string>();
  const addFile = (name: string, data: string | Buffer): Promise<void> => new Promise((resolve, reject) => {
    p.entry({ name, mode: 0o644, mtime: new Date(0) }, data, (err) => (err ? reject(err) : resolve()));
  });
  const addBlob = async (digest: string): Promise<void> => {
    if (written.has(digest)) return;
    written.add(digest);
    const path = store.blobPath(digest);
    const size = statSync(path).size;
    await new Promise<void>((resolve, reject) => {
      const sink = p.entry({ name: `blobs/sha256/${digestHex(digest)}`, size, mode: 0o644, mtime: new Date(0) }, (err) => (err ? reject(err) : resolve()));
      createReadStream(path).pipe(sink as unknown as NodeJS.WritableStream);
    });
  };
  await addFile('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index: Index = { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] };
  const dockerManifest: DockerArchiveEntry[] = [];
  for (const { image } of images) {
    for (const d of [image.manifestDigest, image.configDigest, ...image.manifest.layers.map((l) => l.digest)]) await addBlob(d);
    for (const name of image.names) {
      index.manifests.push({
        mediaType: image.descriptor.mediaType, digest: image.manifestDigest, size: image.descriptor.size,
        annotations: { [REF_NAME]: name, [CONTAINERD_NAME]: name },
      });
    }
    dockerManifest.push({
      Config: `blobs/sha256/${digestHex(image.configDigest)}`,
      RepoTags: image.names.map((n) => n.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '')),
      Layers: image.manifest.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
    });
  }
  await addFile('index.json', JSON.stringify(index));
  await addFile('manifest.json', JSON.stringify(dockerManifest));
  p.finalize();
  await done;
}

/** `image import`: a root filesystem tarball (plain, gzip or zstd) becomes a one-layer image. */
export async function importRootfs(store: ImageStore, input: Readable, name: string): Promise<string> {
  const normalized = formatReference(parseReference(name));
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  if (raw.length === 0) throw new UsageError('the input is empty: give a tar of a root filesystem');
  const compression = sniffCompression(Buffer.concat([raw.subarray(0, 8), Buffer.alloc(8)]));
  const plain: Buffer[] = [];
  for await (const c of Readable.from([raw]).pipe(decompressor(compression))) plain.push(c as Buffer);
  const tar = Buffer.concat(plain);
  if (tar.length < 512 || tar.subarray(257, 262).toString() !== 'ustar') throw new UsageError('the input is not a tar archive (no ustar header)');
  const now = new Date().toISOString();
  const built = storeSingleLayerImage(store, tar, { created: now, history: { created: now, created_by: 'tslab image import', comment: 'imported from a tarball' } });
  const manifest = store.readJson<Manifest>(built.manifest.digest);
  await ensureSnapshots(store, manifest, store.readJson<ImageConfig>(built.configDigest));
  await store.tag(normalized, built.manifest);
  return built.configDigest;
}

export function outputStream(path: string | undefined): NodeJS.WritableStream {
  if (!path || path === '-') {
    if (process.stdout.isTTY) throw new UsageError('refusing to write an archive to a terminal: use -o FILE or redirect stdout');
    return process.stdout;
  }
  return createWriteStream(path);
}
