// `tslab test --jobs N`: N `tslab test LAB… --jobs 1 --result-file F` processes at once, each
// running every Nth lab one after another. Processes, not promises in one: the tracer, its sinks and
// its stage are one per process, and a lab's trace must hold its own steps only. N processes, not
// one per lab: each pays for loading TypeScript to compile lab.ts files (~1 s of CPU). Names stay unique as they are serially
// (a lab's containers are PREFIX + lab + container + random; its scratch folder is a mkdtemp), and
// each lab's stale-run sweep skips runs whose runner is alive. Results come back in `refs` order.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabRef } from './catalog.js';
import type { LabResult } from './events.js';
import { packageRoot } from '../oci/runtime-cli.js';

export interface ParallelOptions {
  jobs: number;
  runtime: string;
  prefix: string;
  signal: AbortSignal;
  /** each lab's result as its process ends (in the order they end) */
  onResult?: (result: LabResult) => void;
}

function failed(ref: LabRef, runtime: string, error: string): LabResult {
  return { ref, title: ref.id, runtime, checks: [], error, durationMs: 0, cleanupErrors: [], trace: [] };
}

function runGroup(refs: LabRef[], o: ParallelOptions, resultFile: string): Promise<LabResult[]> {
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'tslab'), 'test', ...refs.map((r) => r.dir), '--runtime', o.runtime,
    '--name-prefix', o.prefix, '--jobs', '1', '--result-file', resultFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  // a stop reaches the labs like a Ctrl-C: the current one ends after its command and removes its containers
  const stop = (): void => void child.kill('SIGINT');
  o.signal.addEventListener('abort', stop);
  const lost = (why: string): LabResult[] => refs.map((ref) => failed(ref, o.runtime, `${ref.id}: ${why}`));
  return new Promise((resolve) => {
    child.on('error', (err) => resolve(lost(`cannot start tslab: ${err.message}`)));
    child.on('close', (code, signal) => {
      o.signal.removeEventListener('abort', stop);
      let results: LabResult[] = [];
      try {
        results = JSON.parse(readFileSync(resultFile, 'utf8')) as LabResult[];
      } catch {
        // none: all of them are lost
      }
      // a stop ends the run early: the labs it did not reach are left out, as serially
      resolve(results.length === refs.length || o.signal.aborted ? results
        : [...results, ...lost(`its tslab process ended (${signal ?? `exit ${code}`}) without a result`).slice(results.length)]);
    });
  });
}

export async function runLabsInParallel(refs: LabRef[], o: ParallelOptions): Promise<LabResult[]> {
  const dir = mkdtempSync(join(tmpdir(), `${o.prefix}jobs-`));
  const jobs = Math.max(1, Math.min(o.jobs, refs.length));
  // every jobs-th lab: neighbours in a folder (often alike in length) spread over the processes
  const groups = Array.from({ length: jobs }, (_, g) => refs.map((ref, i) => ({ ref, i })).filter(({ i }) => i % jobs === g));
  const byIndex: Array<LabResult | undefined> = new Array(refs.length);
  try {
    await Promise.all(groups.map(async (group, g) => {
      const results = await runGroup(group.map((x) => x.ref), o, join(dir, `${g}.json`));
      results.forEach((r, k) => {
        byIndex[group[k]!.i] = r;
        o.onResult?.(r);
      });
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return byIndex.filter((r): r is LabResult => r !== undefined);
}
