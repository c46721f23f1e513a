// `tslab image push`: upload config and layers (skipping blobs the registry has), then the manifest.
import { createReadStream } from 'node:fs';
import { loadConfig, type TslabConfig } from '../config/config.js';
import { formatReference, parseReference } from './reference.js';
import { clientFor } from './pull.js';
import { RegistryError, type RegistryClient } from './registry/client.js';
import type { Descriptor } from './media.js';
import type { ImageStore } from './store.js';
import { silentProgress, type Progress } from './progress.js';
import { UsageError } from '../errors.js';

async function pushBlob(client: RegistryClient, store: ImageStore, d: Descriptor, progress: Progress): Promise<void> {
  const head = await client.request(`${client.repository}/blobs/${d.digest}`, { method: 'HEAD', actions: 'pull,push' });
  await head.body.dump();
  if (head.status === 200) {
    progress.done(d.digest, 'already in the registry');
    return;
  }
  const start = await client.request(`${client.repository}/blobs/uploads/`, { method: 'POST', actions: 'pull,push' });
  await start.body.dump().catch(() => undefined);
  if (start.status !== 202) return client.fail(start, `starting the upload of ${d.digest}`);
  const location = start.headers.location;
  if (typeof location !== 'string') throw new RegistryError(`the registry did not say where to upload ${d.digest}`);
  const url = new URL(location, start.url);
  url.searchParams.set('digest', d.digest);
  const size = store.blobSize(d.digest);
  progress.start(d.digest, size);
  const put = await client.requestUrl(url, {
    method: 'PUT',
    actions: 'pull,push',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: () => createReadStream(store.blobPath(d.digest)),
  });
  if (put.status !== 201) return client.fail(put, `uploading ${d.digest}`);
  await put.body.dump();
  progress.done(d.digest, `pushed`);
}

/** Pushes local image `source` to `target` (default: the same name). Returns the manifest digest. */
export async function pushImage(store: ImageStore, source: string, target?: string, options: { config?: TslabConfig; progress?: Progress } = {}): Promise<string> {
  const image = store.find(source);
  if (!image) throw new UsageError(`no image "${source}" in the store: see \`tslab image ls\``);
  const ref = parseReference(target ?? source);
  if (ref.digest && !ref.tag) throw new UsageError(`cannot push to a digest ("${target ?? source}"): push to a tag`);
  const config = options.config ?? loadConfig();
  const progress = options.progress ?? silentProgress;
  const client = clientFor(ref, config);
  for (const d of [image.manifest.config, ...image.manifest.layers]) await pushBlob(client, store, d, progress);
  const bytes = store.readBlob(image.manifestDigest);
  const res = await client.request(`${client.repository}/manifests/${ref.tag}`, {
    method: 'PUT',
    actions: 'pull,push',
    headers: { 'content-type': image.descriptor.mediaType },
    body: bytes,
  });
  if (res.status !== 201) return client.fail(res, `uploading the manifest of ${formatReference(ref)}`);
  await res.body.dump();
  progress.finish();
  return image.manifestDigest;
}
