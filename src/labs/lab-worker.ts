// One process of `tslab test --jobs N` (src/labs/parallel.ts): runs the labs its parent sends over the
// IPC channel, one at a time, and sends each result back. One process for many labs: Node's start and
// the runner's modules are paid once per worker, not once per lab. The channel closing ends it.
import { runLab } from './runner.js';
import type { LabRef } from './catalog.js';
import type { LabResult } from './events.js';
import { configureFromEnv } from '../tracer/tracer.js';

/** parent → worker: run this lab */
export interface WorkerJob { ref: LabRef; runtime: string; prefix: string }
/** worker → parent: the lab's result */
export interface WorkerDone { result: LabResult }

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write('lab-worker: run by tslab test --jobs N, over an IPC channel\n');
  process.exit(2);
}

// $TSLAB_TRACE (set by the parent's --trace) reaches the runner's tracer as in a `tslab test` process
const closeTrace = configureFromEnv(process.env);
const stop = new AbortController();
// a stop reaches the lab like a Ctrl-C: it ends after its command and removes its containers; a second one quits
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  });
}

let queue = Promise.resolve();
process.on('message', (job: WorkerJob) => {
  queue = queue.then(async () => {
    const result = await runLab(job.ref, { runtime: job.runtime, prefix: job.prefix, signal: stop.signal })
      .catch((err: Error): LabResult => ({ ref: job.ref, title: job.ref.id, runtime: job.runtime, checks: [],
        error: `${job.ref.id}: ${err.message}`, durationMs: 0, cleanupErrors: [], trace: [] }));
    await new Promise<void>((resolve) => send({ result } satisfies WorkerDone, undefined, {}, () => resolve()));
  });
});
process.on('disconnect', () => void queue.finally(closeTrace));
