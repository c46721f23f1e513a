// `tslab test --jobs N`: up to N labs at once, each in a `tslab test LAB --result-file F` process
// of its own. A process each, not promises in one: the tracer, its sinks and its stage are one per
// process, and a lab's trace must hold its own steps only. Names stay unique as they are serially
// (a lab's containers are PREFIX + lab + container + random; its scratch folder is a mkdtemp), and
// each lab's stale-run sweep skips runs whose runner is alive. Results come back in `refs` order.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabRef } from './catalog.js';
import type { LabResult } from './events.js';
import { packageRoot } from './runtime-cli.js';

export interface ParallelOptions {
  jobs: number;
  runtime: string;
  prefix: string;
  signal: AbortSignal;
  /** each lab's result as it ends (in the order they end) */
  onResult?: (result: LabResult) => void;
}

function failed(ref: LabRef, runtime: string, error: string): LabResult {
  return { ref, title: ref.id, runtime, checks: [], error, durationMs: 0, cleanupErrors: [], trace: [] };
}

function runOne(ref: LabRef, o: ParallelOptions, resultFile: string): Promise<LabResult> {
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'tslab'), 'test', ref.dir, '--runtime', o.runtime,
    '--name-prefix', o.prefix, '--jobs', '1', '--result-file', resultFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  // a stop reaches the lab like a Ctrl-C: it ends after its current command and removes its containers
  const stop = (): void => void child.kill('SIGINT');
  o.signal.addEventListener('abort', stop);
  return new Promise((resolve) => {
    child.on('error', (err) => resolve(failed(ref, o.runtime, `${ref.id}: cannot start tslab: ${err.message}`)));
    child.on('close', (code, signal) => {
      o.signal.removeEventListener('abort', stop);
      try {
        resolve(JSON.parse(readFileSync(resultFile, 'utf8')) as LabResult);
      } catch {
        resolve(failed(ref, o.runtime, `${ref.id}: its tslab process ended (${signal ?? `exit ${code}`}) without a result`));
      }
    });
  });
}

export async function runLabsInParallel(refs: LabRef[], o: ParallelOptions): Promise<LabResult[]> {
  const dir = mkdtempSync(join(tmpdir(), `${o.prefix}jobs-`));
  const results: LabResult[] = new Array(refs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < refs.length && !o.signal.aborted) {
      const i = next++;
      results[i] = await runOne(refs[i]!, o, join(dir, `${i}.json`));
      o.onResult?.(results[i]!);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, refs.length)) }, worker));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results.filter((r) => r !== undefined);
}
