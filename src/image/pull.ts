// `tslab image pull`: resolve a reference to one platform's manifest, fetch config and layers
// (concurrently, each verified by size and sha256 while streaming), unpack the layers into
// snapshots, and only then tag the image. A failure leaves no tag and removes what it fetched.
import { Transform, type TransformCallback } from 'node:stream';
import { loadConfig, type TslabConfig } from '../config/config.js';
import { sha256Digest, DigestMismatchError, SizeMismatchError } from './digest.js';
import {
  formatPlatform, hostPlatform, isIndexType, isManifestType, MANIFEST_ACCEPT, MEDIA, REPO_DIGEST,
  type Descriptor, type ImageConfig, type Index, type Manifest, type Platform,
} from './media.js';
import { formatReference, parseReference, type ImageReference } from './reference.js';
import { RegistryClient, RegistryError } from './registry/client.js';
import { CredentialStore } from './registry/credentials.js';
import { createProgress, silentProgress, type Progress } from './progress.js';
import { ensureSnapshots } from './snapshots.js';
import { layerStreams } from './layer-stream.js';
import type { ImageStore, IngestWatcher } from './store.js';
import { collectGarbage } from './gc.js';

export interface PullOptions {
  platform?: Platform;
  progress?: Progress;
  config?: TslabConfig;
  /** Parallel blob downloads. */
  concurrency?: number;
}

export interface PullResult {
  name: string;
  descriptor: Descriptor;
  repoDigest: string;
  configDigest: string;
}

const MAX_MANIFEST = 4 * 1024 * 1024;

export function clientFor(ref: ImageReference, config: TslabConfig): RegistryClient {
  return new RegistryClient(ref.registry, ref.repository, config, new CredentialStore(config.dataRoot));
}

export async function fetchManifest(client: RegistryClient, reference: string): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
  const res = await client.request(`${client.repository}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT.join(', ') } });
  if (res.status !== 200) return client.fail(res, `manifest ${reference}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body) {
    size += (c as Buffer).length;
    if (size > MAX_MANIFEST) throw new RegistryError(`manifest ${reference} is larger than 4 MiB; refusing it`);
    chunks.push(c as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  const digest = sha256Digest(bytes);
  if (reference.startsWith('sha256:') && digest !== reference) throw new DigestMismatchError(reference, digest, 'manifest');
  const advertised = res.headers['docker-content-digest'];
  if (typeof advertised === 'string' && advertised.startsWith('sha256:') && advertised !== digest) {
    throw new RegistryError(`manifest ${reference}: the registry says its digest is ${advertised} but its content hashes to ${digest}`);
  }
  let mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
  let parsed: { mediaType?: string; schemaVersion?: number; manifests?: unknown; config?: unknown };
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as typeof parsed;
  } catch {
    throw new RegistryError(`manifest ${reference} is not JSON`);
  }
  if (parsed.mediaType) mediaType = parsed.mediaType;
  if (!isIndexType(mediaType) && !isManifestType(mediaType)) {
    if (parsed.schemaVersion === 1) throw new RegistryError(`manifest ${reference} is Docker schema 1, which is deprecated and not supported; push the image again with a current tool`);
    mediaType = parsed.manifests ? MEDIA.ociIndex : parsed.config ? MEDIA.ociManifest : mediaType;
    if (!isIndexType(mediaType) && !isManifestType(mediaType)) throw new RegistryError(`manifest ${reference} has unsupported media type "${mediaType}"`);
  }
  return { bytes, mediaType, digest };
}

/** Picks the manifest for a platform from an index, or says which platforms exist. */
export function selectPlatform(index: Index, want: Platform, what: string): Descriptor {
  const candidates = index.manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture);
  const exact = candidates.find((m) => (m.platform!.variant ?? '') === (want.variant ?? ''));
  const loose = candidates.find((m) => !m.platform!.variant || !want.variant);
  const chosen = exact ?? loose ?? (want.architecture === 'arm64' ? candidates[0] : undefined);
  if (chosen) return chosen;
  const available = index.manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => formatPlatform(m.platform!));
  throw new RegistryError(`${what} has no image for ${formatPlatform(want)}; it has: ${available.join(', ') || 'no platforms'} (choose one with --platform)`);
}

class CountingStream extends Transform {
  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.onBytes(chunk.length);
    cb(null, chunk);
  }
}

export async function fetchBlob(client: RegistryClient, store: ImageStore, d: Descriptor, progress: Progress, watch?: () => IngestWatcher | undefined): Promise<void> {
  if (store.hasBlob(d.digest)) {
    progress.done(d.digest, 'already present');
    return;
  }
  progress.start(d.digest, d.size);
  for (let attempt = 0; ; attempt++) {
    let got = 0;
    try {
      const res = await client.request(`${client.repository}/blobs/${d.digest}`);
      if (res.status !== 200) return await client.fail(res, `blob ${d.digest}`);
      const counted = res.body.pipe(new CountingStream((n) => {
        got += n;
        progress.advance(d.digest, n);
      }));
      res.body.on('error', (err) => counted.destroy(err));
      await store.ingest(counted, d.digest, d.size, 'blob', watch?.());
      progress.done(d.digest);
      return;
    } catch (err) {
      // a connection lost mid-body is worth another try; wrong content or a refusal is not
      const transient = !(err instanceof DigestMismatchError || err instanceof SizeMismatchError || err instanceof RegistryError);
      progress.advance(d.digest, -got);
      if (!transient || attempt >= 2) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

export async function pullImage(store: ImageStore, input: string, options: PullOptions = {}): Promise<PullResult> {
  const ref = parseReference(input);
  const config = options.config ?? loadConfig();
  const progress = options.progress ?? silentProgress;
  const client = clientFor(ref, config);
  const name = formatReference(ref);
  const want = options.platform ?? hostPlatform();
  const before = new Set(store.allBlobs());
  try {
    return await client.withEndpoints(async () => {
      const top = await fetchManifest(client, ref.digest ?? ref.tag!);
      let manifestBytes = top.bytes;
      let descriptor: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
      if (isIndexType(top.mediaType)) {
        const index = JSON.parse(top.bytes.toString('utf8')) as Index;
        const chosen = selectPlatform(index, want, name);
        const child = await fetchManifest(client, chosen.digest);
        if (!isManifestType(child.mediaType)) throw new RegistryError(`${name}: nested indexes are not supported`);
        manifestBytes = child.bytes;
        descriptor = { mediaType: child.mediaType, digest: child.digest, size: child.bytes.length, platform: chosen.platform };
      }
      const manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
      if (!manifest.config?.digest || !Array.isArray(manifest.layers)) throw new RegistryError(`manifest ${descriptor.digest} has no config or layers`);
      await fetchBlob(client, store, manifest.config, silentProgress);
      const imageConfig = store.readJson<ImageConfig>(manifest.config.digest);
      if (imageConfig.os && imageConfig.architecture && (imageConfig.os !== want.os || imageConfig.architecture !== want.architecture) && !isIndexType(top.mediaType)) {
        progress.line(`warning: ${name} is ${imageConfig.os}/${imageConfig.architecture}, not ${formatPlatform(want)}`);
      }
      // each layer unpacks as it downloads; what that could not do, ensureSnapshots does below
      const streams = layerStreams(store, manifest, imageConfig);
      try {
        await inParallel(manifest.layers.map((layer, i) => ({ layer, i })), options.concurrency ?? 3,
          ({ layer, i }) => fetchBlob(client, store, layer, progress, () => streams.watcher(i)));
      } finally {
        await streams.settled();
      }
      progress.finish();
      store.putBlob(manifestBytes, descriptor.digest);
      await ensureSnapshots(store, manifest, imageConfig);
      await store.tag(name, descriptor, { [REPO_DIGEST]: top.digest });
      return { name, descriptor, repoDigest: `${ref.registry}/${ref.repository}@${top.digest}`, configDigest: manifest.config.digest };
    });
  } catch (err) {
    progress.finish();
    // forget what this pull brought in that no image uses
    const added = store.allBlobs().filter((d) => !before.has(d));
    if (added.length > 0) await collectGarbage(store, { onlyBlobs: new Set(added) }).catch(() => undefined);
    throw err;
  }
}

export function pullProgress(quiet: boolean): Progress {
  return createProgress(process.stderr, quiet);
}
