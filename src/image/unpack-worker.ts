// One layer unpacked in a worker thread: unpacking is CPU-bound (inflate, hashing, many small
// synchronous writes), so independent layers go one per core. With `fd`, the layer is read from
// a blob file still being downloaded, as the parent reports its growth (layer-stream.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { ImageStore } from './store.js';
import { unpackSnapshot } from './snapshots.js';
import { GrowingFile } from './growing-file.js';
import type { Descriptor } from './media.js';

interface Job {
  dataRoot: string;
  layer: Descriptor;
  diffId: string;
  chainId: string;
  parentChain: string[];
  fd?: number;
}

/** What the parent says about a growing blob file. */
export type GrowthMessage = { length: number } | { end: true } | { abort: string };

const job = workerData as Job;
let blob: GrowingFile | undefined;
if (job.fd !== undefined) {
  const file = new GrowingFile(job.fd);
  blob = file;
  parentPort!.on('message', (m: GrowthMessage) => {
    if ('length' in m) file.grow(m.length);
    else if ('end' in m) file.seal();
    else file.destroy(new Error(m.abort));
  });
}
unpackSnapshot(new ImageStore(job.dataRoot), job.layer, job.diffId, job.chainId, job.parentChain, blob).then(
  () => parentPort!.postMessage({ ok: true }),
  (err: Error) => parentPort!.postMessage({ ok: false, message: err.message, hardlink: /hard link target/.test(err.message) }),
);
