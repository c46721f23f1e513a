// The build cache: <dataRoot>/build-cache/<key>.json points a step at the image it produced. The key
// is the parent step's manifest digest + the instruction as it will run (variables expanded,
// build args included) + the digest of the files it copies: a step is reused only when everything
// it could depend on is the same. An entry whose blobs have gone (image prune) is a miss. The image
// garbage collector keeps what entries point at (src/image/gc.ts), as docker keeps its build cache.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Digest, digestHex } from '../image/digest.js';
import type { ImageConfig, Manifest } from '../image/media.js';
import type { ImageStore } from '../image/store.js';
import { ensureSnapshots } from '../image/snapshots.js';
import type { StageImage } from './image.js';

export const CACHE_DIR = 'build-cache';

interface CacheEntry {
  manifest: { mediaType: string; digest: string; size: number };
  shell: string[];
  base: string;
}

export function cacheKey(parentManifest: string, instruction: string, contentDigest = ''): string {
  return sha256Digest(JSON.stringify([parentManifest, instruction, contentDigest]));
}

function entryPath(store: ImageStore, key: string): string {
  return join(store.dataRoot, CACHE_DIR, `${digestHex(key)}.json`);
}

/** The cached result of a step, with its snapshots in place; undefined on a miss. */
export async function lookup(store: ImageStore, key: string): Promise<StageImage | undefined> {
  const path = entryPath(store, key);
  if (!existsSync(path)) return undefined;
  let entry: CacheEntry;
  try {
    entry = JSON.parse(readFileSync(path, 'utf8')) as CacheEntry;
  } catch {
    return undefined;
  }
  if (!store.hasBlob(entry.manifest.digest)) return undefined;
  const manifest = store.readJson<Manifest>(entry.manifest.digest);
  if (![manifest.config, ...manifest.layers].every((d) => store.hasBlob(d.digest))) return undefined;
  const config = store.readJson<ImageConfig>(manifest.config.digest);
  await ensureSnapshots(store, manifest, config);
  return {
    base: entry.base, layers: manifest.layers, config, shell: entry.shell,
    manifestDigest: entry.manifest.digest, configDigest: manifest.config.digest, manifestSize: entry.manifest.size,
  };
}

export function record(store: ImageStore, key: string, image: StageImage): void {
  mkdirSync(join(store.dataRoot, CACHE_DIR), { recursive: true, mode: 0o700 });
  const entry: CacheEntry = {
    manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.manifestDigest, size: image.manifestSize },
    shell: image.shell, base: image.base,
  };
  store.atomicWrite(entryPath(store, key), JSON.stringify(entry));
}
