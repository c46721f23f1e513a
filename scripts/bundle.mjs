// Bundles the programs that start on every container operation — the runtime CLI, the container's
// init and the process that joins a running one (exec) — and the tslab CLI into single CommonJS
// files. Measured here per process start: Node's ESM loader spends ~30 ms resolving and linking
// thirty small modules, and even one ESM file pays ~8 ms more than CommonJS (each
// `import … from 'node:fs'` builds a facade that loads every lazy part of fs). In the tslab CLI a
// module behind `import()` runs its top level only when first imported (esbuild's lazy wrappers),
// so a command pays for what it uses (src/cli/commands/index.ts).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const dist = resolve('dist');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // koffi's native module is found at run time from node_modules; the TUI loads lazily from dist/src.
  external: ['koffi', '@koromix/*', 'ink', 'react', 'undici', 'typescript', 'playwright-core'],
  logLevel: 'warning',
  // maps back to src/*.ts through tsc's maps: coverage (npm run test:coverage) and stack traces
  sourcemap: true,
  // the sources find files beside themselves through import.meta.url
  define: { 'import.meta.url': '__tslabModuleUrl' },
  banner: { js: "const __tslabModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
};

/**
 * The TUI's modules import ink, an ES module that `require` cannot load: an `import()` of one stays
 * an `import()` of its file in dist/src (ES modules), so the TUI runs as it does unbundled.
 */
const tuiStaysEsm = {
  name: 'tui-stays-esm',
  setup(b) {
    b.onResolve({ filter: /\/tui\// }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const file = resolve(dirname(args.importer), args.path);
      if (!/\/src\/(labs\/)?tui\//.test(file)) return undefined;
      return { path: `./${relative(dist, file)}`, external: true };
    });
  },
};

/**
 * A bundle loaded through bin/cached-require.cjs: on Node 20 a function deserialised from a code
 * cache loses the script's dynamic-import callback, so every `import()` goes through a helper
 * defined outside the cached script (globalThis.__tslabImport; a plain require falls back to import()).
 */
async function buildCached(options) {
  const { outputFiles } = await build({
    ...common, ...options, write: false,
    banner: { js: `${common.banner.js}\nconst __tslabImport = globalThis.__tslabImport ?? ((s) => import(s));` },
  });
  // with source maps on there are two outputs, the map first: write both, the code rewritten
  const out = outputFiles.find((f) => f.path.endsWith('.cjs'));
  const map = outputFiles.find((f) => f.path.endsWith('.cjs.map'));
  if (!out || !map) throw new Error(`esbuild gave no .cjs and .cjs.map for ${options.outfile}`);
  // the rewrite adds no line, so the map's lines hold (only columns right of a rewritten import( shift)
  const text = out.text.replace(/\bimport\(/g, '__tslabImport(').replace('?? ((s) => __tslabImport(s));', '?? ((s) => import(s));');
  writeFileSync(out.path, text);
  writeFileSync(map.path, map.contents);
  // a fresh build has a fresh code cache: the first run writes it
  rmSync(`${out.path}.cache`, { force: true });
}

// the runtime loads without a code cache: measured, it did not pay there (README, Benchmarks)
await build({ ...common, entryPoints: ['dist/src/cli/runtime-main.js'], outfile: 'dist/runtime.cjs' });
// state, start, kill, delete, pause and resume alone: what engines call on every container
await build({ ...common, entryPoints: ['dist/src/cli/runtime-fast.js'], outfile: 'dist/runtime-calls.cjs' });
await build({ ...common, entryPoints: ['dist/src/runtime/init/main.js'], outfile: 'dist/init.cjs' });
await build({ ...common, entryPoints: ['dist/src/runtime/init/exec-main.js'], outfile: 'dist/exec-init.cjs' });
// the worker thread that unpacks a layer (src/image/unpack-worker.ts): one per layer pulled
await build({ ...common, entryPoints: ['dist/src/image/unpack-worker.js'], outfile: 'dist/unpack-worker.cjs' });
await buildCached({ entryPoints: ['dist/src/cli/main.js'], outfile: 'dist/tslab.cjs', plugins: [tuiStaysEsm] });
execFileSync(process.execPath, ['bin/tslab', '--version'], { stdio: 'ignore', env: { PATH: process.env.PATH } });
