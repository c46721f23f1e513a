// Bundles the programs that start on every container operation — the runtime CLI, the container's
// init and the process that joins a running one (exec) — into single CommonJS files. Measured here per process start: Node's ESM loader
// spends ~30 ms resolving and linking thirty small modules, and even one ESM file pays ~8 ms more
// than CommonJS (each `import … from 'node:fs'` builds a facade that loads every lazy part of fs).
import { copyFileSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // koffi's native module is found at run time from node_modules; the TUI loads lazily from dist/src.
  external: ['koffi', '@koromix/*', 'ink', 'react', 'undici'],
  logLevel: 'warning',
  // maps back to src/*.ts through tsc's maps: coverage (npm run test:coverage) and stack traces
  sourcemap: true,
  // the sources find files beside themselves through import.meta.url
  define: { 'import.meta.url': '__tslabModuleUrl' },
  banner: { js: "const __tslabModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
};

await build({ ...common, entryPoints: ['dist/src/cli/runtime-main.js'], outfile: 'dist/runtime.cjs' });
// state, start, kill, delete, pause and resume alone: what engines call on every container
await build({ ...common, entryPoints: ['dist/src/cli/runtime-fast.js'], outfile: 'dist/runtime-calls.cjs' });
await build({ ...common, entryPoints: ['dist/src/runtime/init/main.js'], outfile: 'dist/init.cjs' });
await build({ ...common, entryPoints: ['dist/src/runtime/init/exec-main.js'], outfile: 'dist/exec-init.cjs' });

// The container monitor's perl and sh programs are found beside its module (src/container/shim.ts).
for (const file of ['monitor.pl', 'monitor.sh']) copyFileSync(`src/container/${file}`, `dist/src/container/${file}`);
