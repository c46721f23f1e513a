// One layer unpacked in a worker thread: unpacking is CPU-bound (inflate, hashing, many small
// synchronous writes), so independent layers go one per core.
import { parentPort, workerData } from 'node:worker_threads';
import { ImageStore } from './store.js';
import { unpackSnapshot } from './snapshots.js';
import type { Descriptor } from './media.js';

interface Job {
  dataRoot: string;
  layer: Descriptor;
  diffId: string;
  chainId: string;
  parentChain: string[];
}

const job = workerData as Job;
unpackSnapshot(new ImageStore(job.dataRoot), job.layer, job.diffId, job.chainId, job.parentChain).then(
  () => parentPort!.postMessage({ ok: true }),
  (err: Error) => parentPort!.postMessage({ ok: false, message: err.message, hardlink: /hard link target/.test(err.message) }),
);
