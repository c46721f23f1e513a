// Bundles the two programs that start on every container operation — the runtime CLI and the
// container's init — into single files: Node's ESM loader spends ~30 ms resolving and linking
// some thirty small modules, which matters when it happens twice per container start.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // koffi's native module is found at run time from node_modules; the TUI loads lazily from dist/src.
  external: ['koffi', '@koromix/*', 'ink', 'react', 'undici'],
  logLevel: 'warning',
  banner: { js: "import { createRequire as __tslabRequire } from 'node:module'; const require = __tslabRequire(import.meta.url);" },
};

await build({ ...common, entryPoints: ['dist/src/cli/runtime-main.js'], outfile: 'dist/runtime.mjs' });
await build({ ...common, entryPoints: ['dist/src/runtime/init/main.js'], outfile: 'dist/init.mjs' });
