// Start-to-exit of /bin/true from the same bundle: tslab vs runc (and crun where it runs),
// alternating in one run so that machine load hits all of them alike. Prints medians and ratios,
// and the CPU time each run cost (the runtime and every process it waited for): under load the
// ratio follows CPU, which a quiet machine's wall clock hides.
// Run: npm run build && node dist/bench/runtime-start.js [iterations]
//   (BENCH_RUNTIMES="name=/path,…" adds variants of the runtime to the same alternating run)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchBundle } from './bundle.js';

const iterations = Number(process.argv[2] ?? 20);
const tslab = fileURLToPath(new URL('../../bin/tslab-runtime', import.meta.url));

interface Candidate {
  name: string;
  cmd: string;
  root: string;
  times: number[];
  /** CPU seconds of the runs, summed */
  cpu: number;
}

/** CPU seconds (user + system) of the children we have waited for: /proc/self/stat's cutime and cstime. */
function childCpu(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
  // after "pid (comm) ", cutime and cstime are fields 16 and 17 of stat(5), here 13 and 14, in ticks of 1/100 s
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

function once(c: Candidate, dir: string, i: number): number | undefined {
  const id = `bench-${c.name}-${process.pid}-${i}`;
  const start = process.hrtime.bigint();
  const cpuBefore = childCpu();
  // The same minimal environment for every runtime: NODE_EXTRA_CA_CERTS or NODE_OPTIONS in the
  // caller's environment cost a Node program ~40 ms at start and would measure the shell, not us.
  const r = spawnSync(c.cmd, ['--root', c.root, 'run', '--bundle', dir, id], { stdio: ['ignore', 'ignore', 'pipe'], env: CLEAN_ENV });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (i >= 0) c.cpu += childCpu() - cpuBefore;
  if (r.status !== 0) {
    spawnSync(c.cmd, ['--root', c.root, 'delete', '--force', id], { stdio: 'ignore' });
    return undefined;
  }
  return ms;
}

const CLEAN_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function main(): void {
  if (process.getuid?.() !== 0) throw new Error('the benchmark starts real containers: run it as root');
  const dir = benchBundle(['/bin/true']);
  const stateRoot = mkdtempSync(join(tmpdir(), 'tslab-bench-state-'));
  const candidates: Candidate[] = [{ name: 'tslab', cmd: tslab, root: join(stateRoot, 'tslab'), times: [], cpu: 0 }];
  for (const [name, paths] of [['runc', ['/usr/sbin/runc', '/usr/bin/runc']], ['crun', ['/usr/bin/crun']]] as const) {
    const path = paths.find((p) => existsSync(p));
    if (path) candidates.push({ name, cmd: path, root: join(stateRoot, name), times: [], cpu: 0 });
  }
  // BENCH_RUNTIMES="name=/path,…" adds candidates: a variant of ours, to measure a lever in the same run
  for (const extra of (process.env.BENCH_RUNTIMES ?? '').split(',').filter(Boolean)) {
    const [name, path] = extra.split('=') as [string, string];
    candidates.push({ name, cmd: path, root: join(stateRoot, name), times: [], cpu: 0 });
  }
  const skipped: string[] = [];
  try {
    // one warm-up each; a runtime that cannot run here (crun on hybrid cgroups) is reported, not hidden
    for (const c of [...candidates]) {
      if (once(c, dir, -1) === undefined) {
        skipped.push(`${c.name}: could not run the bundle on this machine (e.g. crun refuses hybrid cgroup v1)`);
        candidates.splice(candidates.indexOf(c), 1);
      }
    }
    for (let i = 0; i < iterations; i++) {
      for (const c of candidates) {
        const ms = once(c, dir, i);
        if (ms !== undefined) c.times.push(ms);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateRoot, { recursive: true, force: true });
  }
  const base = candidates.find((c) => c.name === 'runc');
  console.log(`start-to-exit of /bin/true, ${iterations} alternating runs each (median, min, CPU per run)`);
  for (const c of candidates) {
    const m = median(c.times);
    const ratio = base && c !== base ? `  ${(m / median(base.times)).toFixed(2)}x runc` : '';
    const cpu = `CPU ${(c.cpu / Math.max(1, c.times.length) * 1000).toFixed(0).padStart(3)} ms`;
    console.log(`  ${c.name.padEnd(12)} ${m.toFixed(1).padStart(7)} ms  (min ${Math.min(...c.times).toFixed(1)} ms, ${cpu})${ratio}`);
  }
  for (const s of skipped) console.log(`  skipped ${s}`);
}

main();
