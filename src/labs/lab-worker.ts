// One process of `tslab test --jobs N` (src/labs/parallel.ts): runs the labs its parent sends over the
// IPC channel, one at a time, and sends each result back. One process for many labs: Node's start and
// the runner's modules are paid once per worker, not once per lab. The channel closing ends it.
import { runLab } from './runner.js';
import type { LabRef } from './catalog.js';
import { labResult, type LabResult } from './events.js';
import { configureFromEnv } from '../tracer/tracer.js';

/** parent → worker: run this lab */
export interface WorkerJob { ref: LabRef; runtime: string; prefix: string }
/** parent → worker: the run is stopped (as a first Ctrl-C: the lab ends after its command, cleaned up) */
export interface WorkerStop { stop: true }
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
// (signals are counted, not the stop: a Ctrl-C reaches this process and its parent, whose stop message may come first)
let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (++signals > 1) process.exit(130);
    stop.abort();
  });
}

let queue = Promise.resolve();
process.on('message', (message: WorkerJob | WorkerStop) => {
  // a message, not a signal: after a Ctrl-C in the terminal (which reaches this process too) a second
  // signal would quit at once, leaving the lab's containers
  if ('stop' in message) {
    stop.abort();
    return;
  }
  const job = message;
  queue = queue.then(async () => {
    const result = await runLab(job.ref, { runtime: job.runtime, prefix: job.prefix, signal: stop.signal })
      .catch((err: Error) => labResult(job.ref, job.runtime, `${job.ref.id}: ${err.message}`));
    await new Promise<void>((resolve) => send({ result } satisfies WorkerDone, undefined, {}, () => resolve()));
  });
});
process.on('disconnect', () => void queue.finally(closeTrace));
