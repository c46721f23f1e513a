// The whole curriculum headless, as CI runs it: `tslab test labs/ --jobs N` on our runtime and on
// runc, alternating in one run: wall time and CPU time (user+sys of the run and every process it
// waited for), with the ratio between them.
//   node dist/bench/curriculum.js [iterations] [jobs]       (root; runc installed for the peer)
//   BENCH_OLD=DIR: also an older build of this package (DIR/bin/tslab on DIR/labs), alternating too
// Each run names its containers, cgroups and folders with a prefix of its own (--name-prefix), so
// a run can never meet another's leftovers; a failing check fails the benchmark.
// cpu (GNU time) counts what was reaped below the run: a container's init that is our own child (our
// runtime in-process) brings its container's work along, one reparented away (runc's) does not;
// "tslab's own cpu" is the run's cgroup, without the containers' cgroups: comparable either way.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLEAN_ENV, median, type Candidate } from './alternate.js';

const iterations = Number(process.argv[2] ?? 1);
const jobs = process.argv[3] ?? String(cpus().length);
const here = fileURLToPath(new URL('../..', import.meta.url));

if (process.getuid?.() !== 0) throw new Error('the curriculum starts real containers: run the benchmark as root');
if (!existsSync('/usr/bin/time')) throw new Error('the benchmark measures CPU with GNU time: apt-get install time');
const runc = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
const labRun = (name: string, root: string, runtime: string, tag: string): Candidate => ({
  name,
  cmd: process.execPath,
  args: [join(root, 'bin', 'tslab'), 'test', join(root, 'labs'), '--runtime', runtime, '--jobs', jobs, '--name-prefix', `tslabt-bc-${tag}-`],
  env: CLEAN_ENV,
});
const old = process.env.BENCH_OLD;
const candidates = [
  labRun('ours', here, 'tslab', 'ours'),
  ...(old ? [labRun('ours (BENCH_OLD)', old, 'tslab', 'old')] : []),
  ...(runc ? [labRun('runc', here, runc, 'runc')] : []),
];

// cgroup v1's cpuacct (cgroup v2: cpu.stat) of a cgroup of the run's own: the CPU of tslab's own
// processes, wherever they were reaped; the containers' work is in the containers' cgroups
const CPUACCT = ['/sys/fs/cgroup/cpuacct', '/sys/fs/cgroup/cpu,cpuacct'].find((d) => existsSync(join(d, 'cpuacct.usage')));
const V2 = !CPUACCT && existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : undefined;
let runs = 0;
function cgroupUsageS(dir: string): number {
  if (CPUACCT) return Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8')) / 1e9;
  return Number(/usage_usec (\d+)/.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))![1]) / 1e6;
}

/** wall ms (our clock), CPU s (GNU time's user + sys) and CPU s of the run's cgroup, of one run */
function once(c: Candidate): { wall: number; cpu: number; cgroupCpu?: number } {
  const base = CPUACCT ?? V2;
  const cg = base && join(base, `tslabt-bc-${process.pid}-${runs++}`);
  if (cg) mkdirSync(cg);
  try {
    const t0 = process.hrtime.bigint();
    const inCgroup = cg ? ['/bin/sh', '-c', `echo $$ > ${cg}/cgroup.procs && exec "$@"`, 'sh'] : [];
    const r = spawnSync(inCgroup[0] ?? '/usr/bin/time', [...inCgroup.slice(1), ...(cg ? ['/usr/bin/time'] : []), '-f', 'cpu %U %S', c.cmd, ...c.args],
      { stdio: ['ignore', 'ignore', 'pipe'], env: c.env });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const lines = r.stderr.toString().trim().split('\n');
    if (r.status !== 0) throw new Error(`${c.name}: exited ${r.status}: ${lines.slice(-3).join(' | ')}`);
    const [, user, sys] = lines.pop()!.split(' ');
    return { wall, cpu: Number(user) + Number(sys), ...(cg ? { cgroupCpu: cgroupUsageS(cg) } : {}) };
  } finally {
    if (cg) rmdirSync(cg);
  }
}

const results = candidates.map(() => ({ wall: [] as number[], cpu: [] as number[], cgroupCpu: [] as number[] }));
for (const c of candidates) once(c); // warm-up: page cache, durations hint
for (let i = 0; i < iterations; i++) {
  candidates.forEach((c, k) => {
    const t = once(c);
    results[k]!.wall.push(t.wall);
    results[k]!.cpu.push(t.cpu);
    if (t.cgroupCpu !== undefined) results[k]!.cgroupCpu.push(t.cgroupCpu);
  });
}
// the ratios: to the older build when there is one (what changed), else to runc
const baseIndex = old ? 1 : candidates.length - 1;
const base = results[baseIndex]!;
console.log(`the whole curriculum, --jobs ${jobs}, ${iterations} alternating runs each (median)`);
const width = Math.max(...candidates.map((c) => c.name.length));
candidates.forEach((c, k) => {
  const r = results[k]!;
  const ratio = (xs: number[], ys: number[]): string => (r === base ? '' : `  ${(median(xs) / median(ys)).toFixed(2)}x ${candidates[baseIndex]!.name}`);
  console.log(`  ${c.name.padEnd(width)} wall ${(median(r.wall) / 1000).toFixed(1).padStart(5)} s (min ${(Math.min(...r.wall) / 1000).toFixed(1)})${ratio(r.wall, base.wall)}` +
    `   cpu ${median(r.cpu).toFixed(1).padStart(5)} s${ratio(r.cpu, base.cpu)}` +
    (r.cgroupCpu.length ? `   tslab's own cpu ${median(r.cgroupCpu).toFixed(1).padStart(5)} s${ratio(r.cgroupCpu, base.cgroupCpu)}` : ''));
});
if (!runc) console.log('  no runc to compare with: apt-get install runc');
