// The fixed cost every non-TUI `tslab` command pays: `tslab --version`, the listings of an empty
// store (image, container, network, volume) and `tslab lab list` (the curriculum), from the bundle
// and from the modules, against a bare `node -e 0` and `tslab-runtime --version`, alternating in
// one run. The target is each bundled row within 1.5x of `node -e 0`.
//   node dist/bench/cli-startup.js [iterations] [--no-unbundled]
//   (BENCH_TSLAB="name=/path/to/bin/tslab,…" adds each command of another build — an old one,
//   to measure a change in the same run — to the alternation)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternate, CLEAN_ENV, report } from './alternate.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const iterations = Number(positional[0] ?? 30);
// the unbundled rows double the run's length: leave them out when only the bundle is of interest
const withModules = !process.argv.includes('--no-unbundled');
const bin = (name: string): string => fileURLToPath(new URL(`../../bin/${name}`, import.meta.url));

const variants = (process.env.BENCH_TSLAB ?? '').split(',').filter(Boolean).map((v) => {
  const at = v.indexOf('=');
  if (at < 1) throw new Error(`BENCH_TSLAB: "${v}" is not name=/path/to/bin/tslab`);
  return [v.slice(0, at), v.slice(at + 1)] as const;
});

const work = mkdtempSync(join(tmpdir(), 'tslabt-bench-cli-'));
try {
  writeFileSync(join(work, 'none.json'), '{}');
  const env = { ...CLEAN_ENV, TSLAB_DATA_ROOT: join(work, 'data'), TSLAB_CONFIG: join(work, 'none.json') };
  const commands = [['--version'], ['image', 'ls'], ['container', 'ls', '-a'], ['network', 'ls'], ['volume', 'ls'], ['lab', 'list']];
  // the same commands from the modules in dist/src (TSLAB_UNBUNDLED=1): what the bundle saves
  const modules = { ...env, TSLAB_UNBUNDLED: '1' };
  const results = alternate([
    { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
    ...commands.map((c) => ({ name: `tslab ${c.join(' ')}`, cmd: process.execPath, args: [bin('tslab'), ...c], env })),
    ...variants.flatMap(([name, path]) => commands.map((c) => ({ name: `${name} ${c.join(' ')}`, cmd: process.execPath, args: [path, ...c], env }))),
    ...(withModules ? commands.map((c) => ({ name: `  unbundled ${c.join(' ')}`, cmd: process.execPath, args: [bin('tslab'), ...c], env: modules })) : []),
    { name: 'tslab-runtime --version', cmd: process.execPath, args: [bin('tslab-runtime'), '--version'], env },
  ], iterations, { memory: true });
  report(`tslab CLI start-up, ${iterations} alternating runs each (median)`, results, 'node -e 0');
} finally {
  rmSync(work, { recursive: true, force: true });
}
