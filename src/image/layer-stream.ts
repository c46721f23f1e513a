// Unpacking layers while they download: each layer's blob file grows under tmp/ as the registry
// sends it, and a worker thread reads behind the writer, inflating and creating files, so the
// download, both digests and the unpack overlap instead of running one after the other. The
// worker sees the end of the blob only once its digest is verified and the blob is in place, so
// a snapshot never comes from unverified bytes; a layer that fails here (a hard link into a lower
// layer not yet unpacked, a download retried) is unpacked again from the stored blob afterwards.
import { closeSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { chainIds } from './digest.js';
import { hasSnapshot, unpackWorkersEnabled, workerScript } from './snapshots.js';
import type { ImageConfig, Manifest } from './media.js';
import type { ImageStore, IngestWatcher } from './store.js';
import type { GrowthMessage } from './unpack-worker.js';

export interface LayerStreams {
  /** A watcher that unpacks layer `index` as its blob is written; undefined to fetch it only. */
  watcher(index: number): IngestWatcher | undefined;
  /** Resolves when every unpack started here has ended (well or not). */
  settled(): Promise<void>;
}

const noStreams: LayerStreams = { watcher: () => undefined, settled: async () => undefined };

export function layerStreams(store: ImageStore, manifest: Manifest, config: ImageConfig): LayerStreams {
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (!unpackWorkersEnabled() || diffIds.length !== manifest.layers.length) return noStreams;
  const chain = chainIds(diffIds);
  const running: Promise<void>[] = [];
  return {
    watcher(index) {
      if (hasSnapshot(store, chain[index]!)) return undefined;
      let worker: Worker | undefined;
      const post = (m: GrowthMessage): void => worker?.postMessage(m);
      return {
        opened(path) {
          const fd = openSync(path, 'r');
          const w = new Worker(workerScript(), {
            workerData: {
              dataRoot: store.dataRoot, layer: manifest.layers[index]!, diffId: diffIds[index]!, chainId: chain[index]!,
              parentChain: chain.slice(0, index), fd,
            },
          });
          worker = w;
          running.push(new Promise<void>((resolve) => {
            let closed = false;
            const end = (): void => {
              if (!closed) closeSync(fd);
              closed = true;
              resolve();
            };
            // the worker listens to its parent until told to stop: its answer is the end
            w.once('message', () => void w.terminate().then(end, end));
            w.once('error', () => void w.terminate().then(end, end));
            w.once('exit', end);
          }));
        },
        wrote: (total) => post({ length: total }),
        closed: (stored) => post(stored ? { end: true } : { abort: 'the download of this layer did not complete' }),
      };
    },
    async settled() {
      await Promise.all(running);
    },
  };
}

