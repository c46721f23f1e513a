// `tslab test --jobs N`: N worker processes (lab-worker.ts) and one shared queue of labs: a worker
// that is free takes the next lab, so no process sits idle while another still has a list to go.
// Processes, not promises in one: the tracer, its sinks and its stage are one per process, and a
// lab's trace must hold its own steps only. N long-lived processes, not one per lab: each pays Node's
// start and the runner's modules once. The longest labs go first (their durations from the last run,
// a hint kept in the data root's cache), so no long lab starts at the end while the others are done.
// Names stay unique as they are serially (a lab's containers are PREFIX + lab + container + random;
// its scratch folder is a mkdtemp), and each lab's stale-run sweep skips runs whose runner is alive.
// Results come back in `refs` order.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '../config/config.js';
import type { LabRef } from './catalog.js';
import { labResult, type LabResult } from './events.js';
import type { WorkerDone, WorkerJob, WorkerStop } from './lab-worker.js';
import { packageRoot } from '../oci/runtime-cli.js';
import { writeFileAtomic } from '../write-atomic.js';

export interface ParallelOptions {
  jobs: number;
  runtime: string;
  prefix: string;
  signal: AbortSignal;
  /** each lab's result as its process ends (in the order they end) */
  onResult?: (result: LabResult) => void;
}

/**
 * lab id → how long it took last time, in ms (a scheduling hint: missing or stale is fine). One file
 * whatever the name prefix: a lab takes as long under any name, and runs with their own prefixes
 * (tests, CI jobs) leave no file each.
 */
const hintFile = (): string => join(loadConfig().dataRoot, 'cache', 'lab-durations.json');

function readDurations(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(hintFile(), 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

function saveDurations(results: LabResult[]): void {
  const durations = readDurations();
  for (const r of results) if (r.durationMs > 0) durations[r.ref.id] = r.durationMs;
  try {
    const file = hintFile();
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, JSON.stringify(durations));
  } catch {
    // only a hint
  }
}

/** Indexes of refs, longest first by the hint; a lab never timed goes first (it may be long), in serial order. */
export function scheduleOrder(refs: LabRef[], durations: Record<string, number>): number[] {
  const known = (i: number): number => durations[refs[i]!.id] ?? Infinity;
  return refs.map((_, i) => i).sort((a, b) => (known(b) - known(a)) || a - b);
}

const workerPath = (): string => join(packageRoot(), 'dist', 'src', 'labs', 'lab-worker.js');

export async function runLabsInParallel(refs: LabRef[], o: ParallelOptions): Promise<LabResult[]> {
  const order = scheduleOrder(refs, readDurations());
  const byIndex: Array<LabResult | undefined> = new Array(refs.length);
  let next = 0;
  const workers = new Set<ChildProcess>();
  // a stop reaches the labs like a Ctrl-C: the current ones end after their command and remove their containers
  const stop = (): void => {
    for (const w of workers) if (w.connected) w.send({ stop: true } satisfies WorkerStop);
  };
  o.signal.addEventListener('abort', stop);

  /** one worker: takes labs from the queue until it is empty (or the run is stopped) */
  const work = (): Promise<void> => new Promise((resolve) => {
    const child = fork(workerPath(), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    workers.add(child);
    let current: number | undefined;
    const take = (): void => {
      if (o.signal.aborted || next >= order.length) {
        current = undefined;
        child.disconnect();
        return;
      }
      current = order[next++]!;
      child.send({ ref: refs[current]!, runtime: o.runtime, prefix: o.prefix } satisfies WorkerJob);
    };
    child.on('message', ({ result }: WorkerDone) => {
      if (current === undefined) return;
      byIndex[current] = result;
      o.onResult?.(result);
      take();
    });
    let ended = false;
    const end = (why: string): void => {
      if (ended) return;
      ended = true;
      workers.delete(child);
      // the lab it was running is lost; the rest of the queue goes on in a new worker (not after a stop)
      if (current !== undefined) {
        const lost = labResult(refs[current]!, o.runtime, `${refs[current]!.id}: its tslab process ${why} without a result`);
        byIndex[current] = lost;
        o.onResult?.(lost);
        if (!o.signal.aborted && next < order.length) {
          void work().then(resolve);
          return;
        }
      }
      resolve();
    };
    child.on('error', (err) => end(`could not run (${err.message})`));
    child.on('exit', (code, signal) => end(`ended (${signal ?? `exit ${code}`})`));
    take();
  });

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, refs.length)) }, work));
  } finally {
    o.signal.removeEventListener('abort', stop);
  }
  // a stop ends the run early: the labs it did not reach are left out, as serially
  const results = byIndex.filter((r): r is LabResult => r !== undefined);
  if (!o.signal.aborted) saveDurations(results);
  return results;
}
