// Builds image layers and configs from files (the embedded busybox image, `image import`).
import { gzipSync } from 'node:zlib';
import { pack, type Pack } from 'tar-stream';
import { sha256Digest } from './digest.js';
import { hostPlatform, MEDIA, type Descriptor, type HistoryEntry, type ImageConfig, type Manifest } from './media.js';
import type { ImageStore } from './store.js';

export type LayerEntry =
  | { type: 'directory'; name: string; mode: number }
  | { type: 'file'; name: string; mode: number; content: Buffer }
  | { type: 'symlink' | 'link'; name: string; linkname: string };

export async function tarEntries(entries: LayerEntry[], mtime: Date): Promise<Buffer> {
  const p: Pack = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  })();
  for (const e of entries) {
    const common = { name: e.name, mtime, uid: 0, gid: 0, uname: 'root', gname: 'root' };
    if (e.type === 'file') p.entry({ ...common, type: 'file', mode: e.mode }, e.content);
    else if (e.type === 'directory') p.entry({ ...common, type: 'directory', mode: e.mode });
    else p.entry({ ...common, type: e.type, linkname: e.linkname, mode: 0o777 });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface BuiltImage {
  manifest: Descriptor;
  configDigest: string;
}

/** Stores a gzip layer for `tar` plus a config and manifest; returns the manifest descriptor. */
export function storeSingleLayerImage(store: ImageStore, tar: Buffer, options: {
  created: string; cmd?: string[]; env?: string[]; history: HistoryEntry;
}): BuiltImage {
  const gz = gzipSync(tar, { level: 6 });
  const diffId = sha256Digest(tar);
  const layer = store.putBlob(gz);
  const platform = hostPlatform();
  const config: ImageConfig = {
    created: options.created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: {
      Env: options.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ...(options.cmd ? { Cmd: options.cmd } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [options.history],
  };
  const configBlob = store.putBlob(JSON.stringify(config));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: configBlob.digest, size: configBlob.size },
    layers: [{ mediaType: MEDIA.ociLayerGzip, digest: layer.digest, size: layer.size }],
  };
  const manifestBlob = store.putBlob(JSON.stringify(manifest));
  return {
    manifest: { mediaType: MEDIA.ociManifest, digest: manifestBlob.digest, size: manifestBlob.size },
    configDigest: configBlob.digest,
  };
}
