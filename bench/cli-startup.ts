// The fixed cost every `tslab` command pays: `tslab --version`, `tslab image ls` (an empty
// store) and `tslab lab list` (the curriculum), from the bundle and from the modules, against a
// bare `node -e 0` and `tslab-runtime --version`, alternating in one run.
//   node dist/bench/cli-startup.js [iterations]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternate, CLEAN_ENV, report } from './alternate.js';

const iterations = Number(process.argv[2] ?? 30);
const bin = (name: string): string => fileURLToPath(new URL(`../../bin/${name}`, import.meta.url));

const work = mkdtempSync(join(tmpdir(), 'tslabt-bench-cli-'));
try {
  writeFileSync(join(work, 'none.json'), '{}');
  const env = { ...CLEAN_ENV, TSLAB_DATA_ROOT: join(work, 'data'), TSLAB_CONFIG: join(work, 'none.json') };
  const commands = [['--version'], ['image', 'ls'], ['lab', 'list']];
  // the same commands from the modules in dist/src (TSLAB_UNBUNDLED=1): what the bundle saves
  const modules = { ...env, TSLAB_UNBUNDLED: '1' };
  const results = alternate([
    { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
    ...commands.map((c) => ({ name: `tslab ${c.join(' ')}`, cmd: process.execPath, args: [bin('tslab'), ...c], env })),
    ...commands.map((c) => ({ name: `  unbundled ${c.join(' ')}`, cmd: process.execPath, args: [bin('tslab'), ...c], env: modules })),
    { name: 'tslab-runtime --version', cmd: process.execPath, args: [bin('tslab-runtime'), '--version'], env },
  ], iterations, { memory: true });
  report(`tslab CLI start-up, ${iterations} alternating runs each (median)`, results, 'node -e 0');
} finally {
  rmSync(work, { recursive: true, force: true });
}
