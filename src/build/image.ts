// A build stage's image as it grows: its layers (descriptors, diff IDs, snapshots), its config
// (runtime config + history) and SHELL, which OCI configs do not carry. Every step ends with
// commitImage, which writes the config and manifest blobs: the step's result has a digest, the
// cache can point at it and the next RUN's container is made from it.
import { chainIds } from '../image/digest.js';
import { hostPlatform, MEDIA, type Descriptor, type HistoryEntry, type ImageConfig, type Manifest } from '../image/media.js';
import type { ImageStore, ResolvedImage } from '../image/store.js';
import type { ContainerImage } from '../container/index.js';
import type { Layer } from './layer.js';

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export interface StageImage {
  /** What the stage was made FROM, for the container's record. */
  base: string;
  layers: Descriptor[];
  config: ImageConfig;
  shell: string[];
  manifestDigest: string;
  configDigest: string;
  manifestSize: number;
}

type RuntimeConfig = NonNullable<ImageConfig['config']>;

export function scratchImage(store: ImageStore): StageImage {
  const p = hostPlatform();
  const config: ImageConfig = {
    architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}),
    config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [],
  };
  return commitImage(store, { base: 'scratch', layers: [], config, shell: DEFAULT_SHELL, manifestDigest: '', configDigest: '', manifestSize: 0 });
}

export function fromResolved(image: ResolvedImage, base: string): StageImage {
  const config = JSON.parse(JSON.stringify(image.config)) as ImageConfig;
  config.config ??= {};
  config.history ??= [];
  return {
    base, layers: [...image.manifest.layers], config, shell: DEFAULT_SHELL,
    manifestDigest: image.manifestDigest, configDigest: image.configDigest, manifestSize: image.descriptor.size,
  };
}

/** A copy to change (the stage FROM another stage must not change that one). */
export function cloneImage(image: StageImage): StageImage {
  return { ...image, layers: [...image.layers], config: JSON.parse(JSON.stringify(image.config)) as ImageConfig, shell: [...image.shell] };
}

export function runtimeConfig(image: StageImage): RuntimeConfig {
  return (image.config.config ??= {});
}

export function imageChainIds(image: StageImage): string[] {
  return chainIds(image.config.rootfs.diff_ids);
}

/** Adds one history entry, and the layer when the step made one. */
export function addStep(image: StageImage, createdBy: string, layer?: Layer): void {
  const entry: HistoryEntry = { created: new Date().toISOString(), created_by: createdBy, comment: 'tslab build' };
  if (layer) {
    image.layers.push(layer.descriptor);
    image.config.rootfs.diff_ids.push(layer.diffId);
  } else {
    entry.empty_layer = true;
  }
  (image.config.history ??= []).push(entry);
  image.config.created = entry.created;
}

/** Writes the config and manifest blobs; the image gets its digests. */
export function commitImage(store: ImageStore, image: StageImage): StageImage {
  const config = store.putBlob(JSON.stringify(image.config));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.size },
    layers: image.layers,
  };
  const m = store.putBlob(JSON.stringify(manifest));
  image.configDigest = config.digest;
  image.manifestDigest = m.digest;
  image.manifestSize = m.size;
  return image;
}

export function descriptorOf(image: StageImage): Descriptor {
  return { mediaType: MEDIA.ociManifest, digest: image.manifestDigest, size: image.manifestSize };
}

/** What src/container needs to make a container of this step's image. */
export function asContainerImage(image: StageImage): ContainerImage {
  return { names: [], configDigest: image.configDigest, manifestDigest: image.manifestDigest, config: image.config, chainIds: imageChainIds(image) };
}
