// Snapshots: each layer unpacked once into <dataRoot>/snapshots/<chain-id hex>/fs, the way
// overlayfs wants a lowerdir (whiteouts as 0:0 devices, opaque xattrs). The chain ID names the
// layer *and everything under it*, so two images that share a base share its folders. A snapshot
// is unpacked in tmp/ and renamed into place only when complete and its diff ID verified.
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { chainIds, digestHex, verifyingStream } from './digest.js';
import { layerCompression, type Descriptor, type ImageConfig, type Manifest } from './media.js';
import type { ImageStore } from './store.js';
import { ENV } from '../env.js';

export interface SnapshotMeta {
  chainId: string;
  diffId: string;
  layer: string;
  parent?: string;
  entries: number;
}

export function snapshotDir(store: ImageStore, chainId: string): string {
  return join(store.snapshots, digestHex(chainId));
}

/** The folder to use as an overlay lowerdir. */
export function snapshotFs(store: ImageStore, chainId: string): string {
  return join(snapshotDir(store, chainId), 'fs');
}

export function hasSnapshot(store: ImageStore, chainId: string): boolean {
  return existsSync(join(snapshotDir(store, chainId), 'meta.json'));
}

export function listSnapshots(store: ImageStore): string[] {
  return readdirSync(store.snapshots).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
}

export function removeSnapshot(store: ImageStore, chainId: string): void {
  // rename first so a half-deleted folder is never mistaken for a snapshot
  const dir = snapshotDir(store, chainId);
  if (!existsSync(dir)) return;
  const doomed = store.tempPath('doomed');
  renameSync(dir, doomed);
  rmSync(doomed, { recursive: true, force: true });
}

export function imageChainIds(config: ImageConfig): string[] {
  return chainIds(config.rootfs?.diff_ids ?? []);
}

/**
 * Unpacks one layer blob into the snapshot for `chainId` (no-op when it exists). `blob` reads the
 * compressed layer instead of the stored blob file (one still downloading, see layer-stream.ts).
 */
export async function unpackSnapshot(
  store: ImageStore, layer: Descriptor, diffId: string, chainId: string, parentChain: string[], blob?: Readable,
): Promise<void> {
  if (hasSnapshot(store, chainId)) return;
  const compression = layerCompression(layer.mediaType);
  if (!compression) {
    throw new Error(`layer ${layer.digest} has media type ${layer.mediaType}, which tslab cannot unpack (supported: tar, tar+gzip, tar+zstd)`);
  }
  // the layer tools (tar, gzip, zstd) load only when a layer is unpacked: a container start whose
  // snapshots exist needs none of them
  const [{ decompressor }, { applyLayer }] = await Promise.all([import('./compression.js'), import('./unpack.js')]);
  const work = store.tempPath('snap');
  mkdirSync(join(work, 'fs'), { recursive: true, mode: 0o755 });
  try {
    const lowers = [...parentChain].reverse().map((c) => snapshotFs(store, c));
    const source = blob ?? createReadStream(store.blobPath(layer.digest), { highWaterMark: 1024 * 1024 });
    const inflated = source.pipe(decompressor(compression));
    source.on('error', (err: Error) => inflated.destroy(err));
    const verified = inflated.pipe(verifyingStream(diffId, undefined, `layer ${layer.digest} (uncompressed diff ID)`));
    inflated.on('error', (err) => verified.destroy(new Error(`layer ${layer.digest} cannot be decompressed: ${err.message}`)));
    const result = await applyLayer(verified, join(work, 'fs'), { whiteouts: 'overlay', lowers, private: true });
    const meta: SnapshotMeta = { chainId, diffId, layer: layer.digest, parent: parentChain[parentChain.length - 1], entries: result.entries };
    writeFileSync(join(work, 'meta.json'), JSON.stringify(meta));
    try {
      renameSync(work, snapshotDir(store, chainId));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      rmSync(work, { recursive: true, force: true }); // another process unpacked it first
    }
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The worker's bundle dist/unpack-worker.cjs (a worker starts ~2x faster from one file than from
 * its modules), found from the CLI bundle in dist/ or from this module in dist/src/image; else
 * the module beside this one.
 */
export function workerScript(): URL {
  for (const candidate of ['./unpack-worker.cjs', '../../unpack-worker.cjs', './unpack-worker.js', './src/image/unpack-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return new URL('./unpack-worker.js', import.meta.url);
}

function unpackInWorker(store: ImageStore, layer: Descriptor, diffId: string, chainId: string, parentChain: string[]): Promise<{ ok: boolean; message?: string; hardlink?: boolean }> {
  return new Promise((resolve) => {
    const worker = new Worker(workerScript(), {
      workerData: { dataRoot: store.dataRoot, layer, diffId, chainId, parentChain },
    });
    let answered = false;
    worker.once('message', (m: { ok: boolean; message?: string; hardlink?: boolean }) => {
      answered = true;
      resolve(m);
    });
    worker.once('error', (err) => {
      answered = true;
      resolve({ ok: false, message: err.message });
    });
    worker.once('exit', (code) => {
      if (!answered) resolve({ ok: false, message: `the unpack worker for ${layer.digest} exited with ${code}` });
    });
  });
}

/** Workers run the compiled module; from TypeScript sources (tests) layers unpack in this thread. */
export function unpackWorkersEnabled(): boolean {
  return !import.meta.url.endsWith('.ts') && process.env[ENV.UNPACK_WORKERS] !== '0';
}

/**
 * Makes sure every layer of an image is unpacked; returns its chain IDs, bottom first. Missing
 * layers are unpacked in parallel, one worker thread per core (each layer is its own folder, so
 * they do not depend on each other; a layer whose hard link points into a lower layer is redone
 * in order afterwards).
 */
export async function ensureSnapshots(store: ImageStore, manifest: Manifest, config: ImageConfig,
  onLayer?: (index: number, total: number, chainId: string) => void): Promise<string[]> {
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new Error(`image config lists ${diffIds.length} diff IDs but the manifest has ${manifest.layers.length} layers`);
  }
  const chain = chainIds(diffIds);
  const missing = chain.map((c, i) => i).filter((i) => !hasSnapshot(store, chain[i]!));
  const sequential = async (i: number): Promise<void> => {
    onLayer?.(i, chain.length, chain[i]!);
    await unpackSnapshot(store, manifest.layers[i]!, diffIds[i]!, chain[i]!, chain.slice(0, i));
  };
  if (missing.length < 2 || !unpackWorkersEnabled()) {
    for (const i of missing) await sequential(i);
    return chain;
  }
  const limit = Math.max(1, Math.min(availableParallelism(), Number(process.env[ENV.UNPACK_WORKERS]) || 8));
  const redo: number[] = [];
  let failure: string | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < missing.length && failure === undefined) {
      const i = missing[next++]!;
      onLayer?.(i, chain.length, chain[i]!);
      const r = await unpackInWorker(store, manifest.layers[i]!, diffIds[i]!, chain[i]!, chain.slice(0, i));
      if (r.ok) continue;
      if (r.hardlink) redo.push(i);
      else failure ??= r.message ?? `unpacking ${manifest.layers[i]!.digest} failed`;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, missing.length) }, worker));
  if (failure !== undefined) throw new Error(failure);
  for (const i of redo.sort((a, b) => a - b)) await sequential(i);
  return chain;
}

export function readSnapshotMeta(store: ImageStore, chainId: string): SnapshotMeta {
  return JSON.parse(readFileSync(join(snapshotDir(store, chainId), 'meta.json'), 'utf8')) as SnapshotMeta;
}
