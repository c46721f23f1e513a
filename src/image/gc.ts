// Garbage collection: blobs no tagged image reaches, and snapshots no image or container uses.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Descriptor, ImageConfig, Manifest } from './media.js';
import { isIndexType } from './media.js';
import { imageChainIds, listSnapshots, removeSnapshot } from './snapshots.js';
import type { ImageStore } from './store.js';

export interface GcResult {
  blobs: number;
  snapshots: number;
  bytes: number;
}

/** Chain IDs pinned by containers (their record lists the snapshots their rootfs stacks). */
function containerChains(dataRoot: string): Set<string> {
  const pinned = new Set<string>();
  const dir = join(dataRoot, 'containers');
  if (!existsSync(dir)) return pinned;
  for (const id of readdirSync(dir)) {
    try {
      const record = JSON.parse(readFileSync(join(dir, id, 'container.json'), 'utf8')) as { chainIds?: string[] };
      for (const c of record.chainIds ?? []) pinned.add(c);
    } catch {
      // a container being created or removed: its snapshots are pinned by its image anyway
    }
  }
  return pinned;
}

/** Manifests the build cache points at (<dataRoot>/build-cache/*.json): kept like tagged images. */
function buildCacheManifests(dataRoot: string): Descriptor[] {
  const dir = join(dataRoot, 'build-cache');
  if (!existsSync(dir)) return [];
  const out: Descriptor[] = [];
  for (const name of readdirSync(dir)) {
    try {
      out.push((JSON.parse(readFileSync(join(dir, name), 'utf8')) as { manifest: Descriptor }).manifest);
    } catch {
      // being written
    }
  }
  return out;
}

export async function collectGarbage(store: ImageStore, options: { onlyBlobs?: Set<string> } = {}): Promise<GcResult> {
  return store.withLock(() => {
    const result: GcResult = { blobs: 0, snapshots: 0, bytes: 0 };
    const live = new Set<string>();
    const liveChains = containerChains(store.dataRoot);
    const roots = [...store.list().map((i) => i.descriptor), ...buildCacheManifests(store.dataRoot)];
    for (const descriptor of roots) {
      for (const d of store.reachable(descriptor)) live.add(d);
      if (isIndexType(descriptor.mediaType) || !store.hasBlob(descriptor.digest)) continue;
      try {
        const manifest = store.readJson<Manifest>(descriptor.digest);
        const config = store.readJson<ImageConfig>(manifest.config.digest);
        for (const c of imageChainIds(config)) liveChains.add(c);
      } catch {
        // a broken image keeps its blobs; its snapshots may go
      }
    }
    for (const digest of store.allBlobs()) {
      if (live.has(digest)) continue;
      if (options.onlyBlobs && !options.onlyBlobs.has(digest)) continue;
      try {
        result.bytes += store.blobSize(digest);
      } catch {
        // gone meanwhile
      }
      store.unlinkBlob(digest);
      result.blobs++;
    }
    if (!options.onlyBlobs) {
      for (const chain of listSnapshots(store)) {
        if (liveChains.has(chain)) continue;
        removeSnapshot(store, chain);
        result.snapshots++;
      }
      store.cleanTmp();
    }
    return result;
  });
}
