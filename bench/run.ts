// Runs every benchmark under bench/ in turn, each in its own Node process (they start containers and
// measure process starts: nothing of one may linger into the next), and says which failed.
//   npm run bench [-- --iterations N] [-- NAME…]     e.g. npm run bench -- --iterations 3 runtime-start
// --iterations N gives each benchmark a short count (for a smoke run); without it each uses its own default.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** How a benchmark takes a short iteration count (default: as its first argument). */
const SHORT_RUN: Record<string, (n: number) => { args: string[]; env?: NodeJS.ProcessEnv }> = {
  // events, then frames
  'tui-render': (n) => ({ args: [String(Math.max(500, n * 100)), String(Math.max(10, n * 10))] }),
  // no count: its size is the layers it builds, so take one small folder of the host
  pull: () => ({ args: [], env: { BENCH_DIRS: process.env.BENCH_DIRS ?? 'usr/share/doc' } }),
};

function parseArgs(argv: string[]): { iterations?: number; names: string[] } {
  const names: string[] = [];
  let iterations: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--iterations' || a === '-n') {
      iterations = Number(argv[++i]);
      if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`--iterations takes a whole number ≥ 1, not "${argv[i] ?? ''}"`);
    } else if (a.startsWith('-')) {
      throw new Error(`unknown option ${a}: use --iterations N and benchmark names (${benchmarks().join(', ')})`);
    } else {
      names.push(a.replace(/\.(ts|js)$/, ''));
    }
  }
  return { iterations, names };
}

/** The benchmarks beside this file (built: dist/bench/*.js). */
function benchmarks(): string[] {
  return readdirSync(here).filter((f) => f.endsWith('.js') && f !== 'run.js').map((f) => basename(f, '.js')).sort();
}

function main(): number {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    return 2;
  }
  const all = benchmarks();
  const unknown = opts.names.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    process.stderr.write(`bench: no benchmark ${unknown.join(', ')} (there are: ${all.join(', ')})\n`);
    return 2;
  }
  const chosen = opts.names.length > 0 ? opts.names : all;
  const results: Array<{ name: string; status: number; seconds: number }> = [];
  for (const name of chosen) {
    const short = opts.iterations === undefined ? { args: [] } : (SHORT_RUN[name] ?? ((n: number) => ({ args: [String(n)] })))(opts.iterations);
    process.stdout.write(`\n=== ${name} ${short.args.join(' ')}\n`);
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(here, `${name}.js`), ...short.args], { stdio: 'inherit', env: { ...process.env, ...short.env } });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    results.push({ name, status: r.status ?? 1, seconds });
  }
  process.stdout.write('\n');
  for (const r of results) process.stdout.write(`${r.status === 0 ? 'ok    ' : 'FAILED'} ${r.name} (${r.seconds.toFixed(1)} s)\n`);
  return results.every((r) => r.status === 0) ? 0 : 1;
}

process.exitCode = main();
