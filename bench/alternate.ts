// Shared by the benchmarks: run candidates alternately (machine load hits all alike), report
// medians and each one's ratio to a baseline. Peak memory comes from GNU time's %M (the largest
// resident set of the command or any descendant it waited for), measured in a separate pass so
// that /usr/bin/time's own start does not enter the timings.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Candidate {
  name: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** The same minimal environment for everyone: NODE_OPTIONS & co. cost a Node program tens of ms. */
export const CLEAN_ENV: NodeJS.ProcessEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function once(c: Candidate): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c.cmd, c.args, { stdio: ['ignore', 'ignore', 'pipe'], env: c.env ?? CLEAN_ENV });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name}: ${c.cmd} ${c.args.join(' ')} exited ${r.status}: ${r.stderr.toString().trim().split('\n').pop()}`);
  return ms;
}

/** Peak resident memory in KiB of one run, or undefined without GNU time. */
export function peakKiB(c: Candidate): number | undefined {
  if (!existsSync('/usr/bin/time')) return undefined;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', c.cmd, ...c.args], { stdio: ['ignore', 'ignore', 'pipe'], env: c.env ?? CLEAN_ENV });
  if (r.status !== 0) throw new Error(`${c.name}: exited ${r.status} under /usr/bin/time`);
  return Number(r.stderr.toString().trim().split('\n').pop());
}

export interface Result {
  name: string;
  times: number[];
  peak?: number;
}

/** One warm-up each, then `iterations` rounds of every candidate in turn. */
export function alternate(candidates: Candidate[], iterations: number, opts: { memory?: boolean } = {}): Result[] {
  const results = candidates.map((c) => ({ name: c.name, times: [] as number[], peak: undefined as number | undefined }));
  for (const c of candidates) once(c);
  for (let i = 0; i < iterations; i++) candidates.forEach((c, k) => results[k]!.times.push(once(c)));
  if (opts.memory) {
    // the median of three, alternating too
    const peaks = candidates.map(() => [] as number[]);
    for (let i = 0; i < 3; i++) candidates.forEach((c, k) => { const p = peakKiB(c); if (p !== undefined) peaks[k]!.push(p); });
    peaks.forEach((p, k) => (results[k]!.peak = p.length ? median(p) : undefined));
  }
  return results;
}

/** One line per candidate: median, min, ratio to `base` (by name), peak memory when measured. */
export function report(title: string, results: Result[], base: string): void {
  const b = results.find((r) => r.name === base);
  console.log(title);
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const m = median(r.times);
    const ratio = b && r !== b ? `  ${(m / median(b.times)).toFixed(2)}x ${base}` : '';
    const mem = r.peak !== undefined ? `  peak ${(r.peak / 1024).toFixed(1)} MiB` : '';
    console.log(`  ${r.name.padEnd(width)} ${m.toFixed(1).padStart(7)} ms  (min ${Math.min(...r.times).toFixed(1)} ms)${ratio}${mem}`);
  }
}
