// The calls an engine makes on a container again and again — start, state, pause, resume, kill,
// delete — each timed on tslab-runtime and on runc, beside a bare `node -e 0` (a Node program
// cannot start faster than Node does), alternating in one run. Prints medians and ratios.
// Run: npm run build && node dist/bench/runtime-calls.js [iterations]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchBundle } from './bundle.js';

const iterations = Number(process.argv[2] ?? 10);
const tslab = fileURLToPath(new URL('../../bin/tslab-runtime', import.meta.url));
const CLEAN_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
const CALLS = ['start', 'state', 'pause', 'resume', 'kill', 'delete'] as const;
type Call = typeof CALLS[number];

interface Runtime {
  name: string;
  cmd: string;
  root: string;
  times: Record<Call, number[]>;
}

function timed(cmd: string, args: string[]): number {
  const start = process.hrtime.bigint();
  // no pipes: the container's init inherits create's stdio and would hold them open
  const r = spawnSync(cmd, args, { stdio: 'ignore', env: CLEAN_ENV });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): run it by hand to see why`);
  return ms;
}

function status(rt: Runtime, id: string): string {
  const r = spawnSync(rt.cmd, ['--root', rt.root, 'state', id], { encoding: 'utf8', env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? (JSON.parse(r.stdout) as { status: string }).status : 'gone';
}

/** One container through the calls an engine makes, each timed. */
function cycle(rt: Runtime, bundle: string, i: number): void {
  const id = `tslab-bench-calls-${rt.name}-${process.pid}-${i}`;
  const r = (...args: string[]): number => timed(rt.cmd, ['--root', rt.root, ...args]);
  try {
    r('create', '--bundle', bundle, id);
    rt.times.start.push(r('start', id));
    rt.times.state.push(r('state', id));
    rt.times.pause.push(r('pause', id));
    rt.times.resume.push(r('resume', id));
    rt.times.kill.push(r('kill', id, 'KILL'));
    const deadline = Date.now() + 10_000;
    while (status(rt, id) !== 'stopped') {
      if (Date.now() > deadline) throw new Error(`${id} did not stop after SIGKILL`);
    }
    rt.times.delete.push(r('delete', id));
  } finally {
    spawnSync(rt.cmd, ['--root', rt.root, 'delete', '--force', id], { stdio: 'ignore' });
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function main(): void {
  if (process.getuid?.() !== 0) throw new Error('the benchmark starts real containers: run it as root');
  const runc = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
  if (!runc) throw new Error('runc is not installed (apt-get install runc): it is the reference');
  const stateRoot = mkdtempSync(join(tmpdir(), 'tslab-bench-calls-state-'));
  const empty = (): Record<Call, number[]> => Object.fromEntries(CALLS.map((c) => [c, [] as number[]])) as unknown as Record<Call, number[]>;
  const runtimes: Runtime[] = [
    { name: 'tslab', cmd: tslab, root: join(stateRoot, 'tslab'), times: empty() },
    { name: 'runc', cmd: runc, root: join(stateRoot, 'runc'), times: empty() },
  ];
  const node: number[] = [];
  const dir = benchBundle(['sleep', '600']);
  try {
    for (const rt of runtimes) cycle(rt, dir, -1); // warm-up
    for (const rt of runtimes) for (const c of CALLS) rt.times[c] = [];
    for (let i = 0; i < iterations; i++) {
      node.push(timed(process.execPath, ['-e', '0']));
      for (const rt of runtimes) cycle(rt, dir, i);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateRoot, { recursive: true, force: true });
  }
  const nodeMs = median(node);
  const [ours, ref] = runtimes as [Runtime, Runtime];
  process.stdout.write(`runtime calls, median of ${iterations} (ms); node -e 0: ${nodeMs.toFixed(1)} ms\n`);
  process.stdout.write(`${'call'.padEnd(8)}${'tslab'.padStart(9)}${'runc'.padStart(9)}${'vs runc'.padStart(9)}${'vs node'.padStart(9)}\n`);
  for (const c of CALLS) {
    const t = median(ours.times[c]);
    const r = median(ref.times[c]);
    process.stdout.write(`${c.padEnd(8)}${t.toFixed(1).padStart(9)}${r.toFixed(1).padStart(9)}${`${(t / r).toFixed(1)}x`.padStart(9)}${`${(t / nodeMs).toFixed(2)}x`.padStart(9)}\n`);
  }
}

main();
