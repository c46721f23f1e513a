// Bundles the programs that start on every container operation — the runtime CLI, the container's
// init and the process that joins a running one (exec) — and the tslab CLI into single CommonJS
// files. Measured here per process start: Node's ESM loader spends ~30 ms resolving and linking
// thirty small modules, and even one ESM file pays ~8 ms more than CommonJS (each
// `import … from 'node:fs'` builds a facade that loads every lazy part of fs). In the tslab CLI a
// module behind `import()` runs its top level only when first imported (esbuild's lazy wrappers),
// so a command pays for what it uses (src/cli/commands/index.ts).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';

const dist = resolve('dist');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // koffi's native module is found at run time from node_modules; the TUI loads lazily from dist/src.
  external: ['koffi', '@koromix/*', 'ink', 'react', 'typescript', 'playwright-core'],
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
 * commander requires node:child_process at its top level for executable subcommands, which tslab
 * has none of: that require loads child_process, net, dgram and the streams (~4 ms per start).
 * Here it loads on the first spawn only.
 */
const commanderSpawnsLazily = {
  name: 'commander-spawns-lazily',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const eager = "const childProcess = require('node:child_process');";
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(eager)) throw new Error(`${args.path}: no "${eager}" to make lazy (a new commander?)`);
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: text.replace(eager, lazy), loader: 'js' };
    });
  },
};

/**
 * Node's modules that are not in its start-up snapshot cost milliseconds to load (child_process
 * with net, dgram and the streams: ~10 ms, crypto ~4 ms), and most commands never call them: a listing does not
 * spawn. In the CLI bundle each of these loads on the first use of one of its exports. The export
 * names are this Node's, read here; the bundle is built by the Node that runs it (npm ci).
 */
const LAZY_BUILTINS = ['child_process', 'crypto', 'net', 'zlib', 'worker_threads', 'stream', 'stream/promises', 'readline', 'readline/promises', 'tty', 'os'];
const builtinsLoadOnUse = {
  name: 'builtins-load-on-use',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) => (args.namespace === 'lazy-builtin' ? undefined : { path: args.path.replace(/^(node:)?/, 'node:'), namespace: 'lazy-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const names = Object.keys(createRequire(import.meta.url)(args.path));
      return {
        loader: 'js',
        contents: `let real;
for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => (real ??= require(${JSON.stringify(args.path)}))[name] });`,
      };
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
    // the module's URL when first asked for: most commands never do, and the first pathToFileURL of
    // a process costs ~0.5 ms
    define: { 'import.meta.url': '__tslabModule.url' },
    banner: { js: "const __tslabModule = { get url() { return require('node:url').pathToFileURL(__filename).href; } };\nconst __tslabImport = globalThis.__tslabImport ?? ((s) => import(s));" },
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
// state, start, kill, delete, pause and resume alone: what engines call on every container. With a
// code cache (bin/tslab-runtime), which did pay here: a `run` spends ~9 ms less CPU.
await buildCached({ ...common, entryPoints: ['dist/src/cli/runtime-fast.js'], outfile: 'dist/runtime-calls.cjs' });
await build({ ...common, entryPoints: ['dist/src/runtime/init/main.js'], outfile: 'dist/init.cjs' });
await build({ ...common, entryPoints: ['dist/src/runtime/init/exec-main.js'], outfile: 'dist/exec-init.cjs' });
// the worker thread that unpacks a layer (src/image/unpack-worker.ts): one per layer pulled
await build({ ...common, entryPoints: ['dist/src/image/unpack-worker.js'], outfile: 'dist/unpack-worker.cjs' });
// The tslab CLI in bundles: dist/tslab.cjs holds commander, the program and the command index; each
// command group (src/cli/commands/index.ts) is a bundle of its own, dist/tslab-GROUP.cjs, required
// (with its code cache) when its command runs, and the code its actions `import()` is a second
// one, dist/tslab-GROUP.lazy.cjs, required on the first such import. A command thus reads,
// deserialises and runs only its own code — registration and a listing not even their group's
// actions (the image, container and lab groups were ~400 kB each with them). Modules that must be
// one per process — the tracer and its sinks, the error classes the program tests with instanceof,
// commander's classes — are the entry's: it lists every module it holds in
// globalThis.__tslabShared, and a group's import of one of them is that entry; likewise a group
// publishes there (as GROUP:module) those of its modules its actions' bundle imports. A module of
// several groups is copied into each; that is harmless, as one process runs one command's action,
// and `tslab --help` (which loads every group) only registers commands.
const commandsDir = resolve('dist/src/cli/commands');
/** command file → its group's bundle: a group of two files is one bundle (image + build, container + container-more) */
const GROUP_OF = { build: 'image', 'container-more': 'container' };
const groupOf = (file) => GROUP_OF[basename(file, '.js')] ?? basename(file, '.js');

/** In the entry: `import('./commands/X.js')` requires dist/tslab-GROUP.cjs. */
const groupsApart = {
  name: 'command-groups-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/(commands\/)?[a-z-]+\.js$/ }, (args) => {
      const file = resolve(args.resolveDir, args.path);
      if (args.kind !== 'dynamic-import' || dirname(file) !== commandsDir || basename(file) === 'index.js') return undefined;
      return { path: file, namespace: 'command-group' };
    });
    b.onLoad({ filter: /.*/, namespace: 'command-group' }, (args) => ({
      loader: 'js',
      contents: `module.exports = (globalThis.__tslabRequire ?? require)(require('node:path').join(__dirname, ${JSON.stringify(`tslab-${groupOf(args.path)}.cjs`)}));`,
    }));
  },
};

/**
 * An import of a module an earlier bundle holds is that bundle's: `holders` maps the module
 * (relative path) to its key in globalThis.__tslabShared, where the holder published it.
 */
function heldModules(holders, holderName) {
  return {
    name: 'held-modules',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.heldModules || args.namespace !== 'file') return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { heldModules: true } });
        if (r.errors.length || r.external) return undefined;
        const key = relative(process.cwd(), r.path);
        // not named .mjs: the stand-in is CommonJS whatever the module it stands for
        return holders.has(key) ? { path: `${key}.held`, namespace: 'held-module', pluginData: { key, shared: holders.get(key) } } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'held-module' }, (args) => ({
        loader: 'js',
        contents: `const m = globalThis.__tslabShared?.[${JSON.stringify(args.pluginData.shared)}];
if (!m) throw new Error('this bundle runs under ${holderName(args.pluginData.shared)}, which holds ${args.pluginData.key}');
module.exports = m;`,
      }));
    },
  };
}

/**
 * In a group: an \`import()\` (an action's code) is a module of the group's second bundle,
 * dist/tslab-GROUP.lazy.cjs, required on that import; `lazy` collects the modules it must hold.
 * Registration and the listings thus load only the group's own bundle, a fraction of the size.
 */
function actionsApart(group, lazy) {
  return {
    name: 'actions-apart',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData?.actionsApart) return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { actionsApart: true } });
        if (r.errors.length || r.external || r.namespace !== 'file') return undefined;
        const key = relative(process.cwd(), r.path);
        lazy.add(key);
        return { path: `${key}.lazy`, namespace: 'lazy-module', pluginData: { key } };
      });
      b.onLoad({ filter: /.*/, namespace: 'lazy-module' }, (args) => ({
        loader: 'js',
        contents: `module.exports = (globalThis.__tslabRequire ?? require)(require('node:path').join(__dirname, ${JSON.stringify(`tslab-${group}.lazy.cjs`)})).modules[${JSON.stringify(args.pluginData.key)}]();`,
      }));
    },
  };
}

const cliPlugins = [tuiStaysEsm, commanderSpawnsLazily, builtinsLoadOnUse];
// first the entry alone, for the list of its modules; then with that list, which it publishes
const probe = await build({ ...common, entryPoints: ['dist/src/cli/main.js'], outfile: 'dist/tslab.cjs', write: false, metafile: true, plugins: [...cliPlugins, groupsApart] });
const shared = new Set(Object.keys(probe.metafile.inputs).filter((f) => !f.includes(':')));
const publish = [...shared].map((f, i) => `import * as m${i} from ${JSON.stringify(resolve(f))};`).join('\n');
await buildCached({
  stdin: {
    contents: `export * from './main.js';\n${publish}\nglobalThis.__tslabShared = { ${[...shared].map((f, i) => `${JSON.stringify(f)}: m${i}`).join(', ')} };\n`,
    resolveDir: resolve('dist/src/cli'), sourcefile: 'tslab-entry.js', loader: 'js',
  },
  outfile: 'dist/tslab.cjs', minifyWhitespace: true, plugins: [...cliPlugins, groupsApart],
});
const groups = new Map();
for (const f of readdirSync(commandsDir).filter((f) => f.endsWith('.js') && f !== 'index.js')) {
  groups.set(groupOf(f), [...(groups.get(groupOf(f)) ?? []), f]);
}
const fromEntry = new Map([...shared].map((f) => [f, f]));
const holderName = (sharedKey) => (sharedKey.includes(':') ? `dist/tslab-${sharedKey.split(':')[0]}.cjs` : 'dist/tslab.cjs');
const isFile = (f) => !f.includes(':') && f !== '<stdin>';
for (const [group, files] of groups) {
  const exportsOf = files.map((f) => `export * from './${f}';`).join('\n');
  const groupBuild = (contents, lazy, extra = {}) => ({
    stdin: { contents, resolveDir: commandsDir, sourcefile: `${group}-group.js`, loader: 'js' },
    outfile: `dist/tslab-${group}.cjs`, minifyWhitespace: true, ...extra,
    plugins: [heldModules(fromEntry, holderName), tuiStaysEsm, actionsApart(group, lazy), commanderSpawnsLazily, builtinsLoadOnUse],
  });
  // the group alone: its modules, and the actions' modules its import()s name
  const lazy = new Set();
  const probeGroup = await build({ ...common, ...groupBuild(exportsOf, lazy), write: false, metafile: true });
  const held = new Map([...fromEntry, ...Object.keys(probeGroup.metafile.inputs).filter(isFile).map((f) => [f, `${group}:${f}`])]);
  // the actions' bundle: a require of each module runs its top level on that import only
  const keys = [...lazy].sort();
  const lazyBuild = {
    stdin: {
      contents: `export const modules = {\n${keys.map((k) => `  ${JSON.stringify(k)}: () => require(${JSON.stringify(resolve(k))}),`).join('\n')}\n};\n`,
      resolveDir: commandsDir, sourcefile: `${group}-actions.js`, loader: 'js',
    },
    outfile: `dist/tslab-${group}.lazy.cjs`, minifyWhitespace: true,
    plugins: [heldModules(held, holderName), tuiStaysEsm, commanderSpawnsLazily, builtinsLoadOnUse],
  };
  // the group publishes those of its modules that the actions' bundle imports
  let publish = [];
  if (keys.length) {
    const probeLazy = await build({ ...common, ...lazyBuild, write: false, metafile: true });
    publish = Object.keys(probeLazy.metafile.inputs).filter((f) => f.startsWith('held-module:'))
      .map((f) => f.slice('held-module:'.length, -'.held'.length)).filter((f) => !fromEntry.has(f));
  }
  const published = publish.length
    ? `\n${publish.map((f, i) => `import * as g${i} from ${JSON.stringify(resolve(f))};`).join('\n')}\nObject.assign(globalThis.__tslabShared ??= {}, { ${publish.map((f, i) => `${JSON.stringify(`${group}:${f}`)}: g${i}`).join(', ')} });\n`
    : '';
  await buildCached(groupBuild(`${exportsOf}${published}`, new Set()));
  if (keys.length) await buildCached(lazyBuild);
  else rmSync(`dist/tslab-${group}.lazy.cjs`, { force: true });
}
// the shipped labs' titles, so that `tslab lab list` need not load every lab (src/labs/title-index.ts)
// and the walk that found them, so that it need not walk the labs folder either
const { findLabs, labWalk } = await import('../dist/src/labs/catalog.js');
const { writeLabIndex } = await import('../dist/src/labs/title-index.js');
const shipped = resolve('labs');
const walked = labWalk();
await writeLabIndex(findLabs(shipped, shipped, walked), resolve(dist, 'labs/index.json'), { root: shipped, walked });
// The code caches, each written by the first run that loads its bundle: the listings' first, so
// that the functions a listing calls are in them (compiling those cost a listing ~2 ms), over an
// empty scratch data root; then the registration of every other group (--help loads all).
const scratch = mkdtempSync(join(tmpdir(), 'tslab-bundle-'));
try {
  writeFileSync(join(scratch, 'config.json'), '{}');
  const env = { PATH: process.env.PATH, TSLAB_DATA_ROOT: join(scratch, 'data'), TSLAB_CONFIG: join(scratch, 'config.json'), XDG_STATE_HOME: scratch };
  for (const args of [['image', 'ls'], ['container', 'ls', '-a'], ['network', 'ls'], ['lab', 'list'], ['--help']]) {
    execFileSync(process.execPath, ['bin/tslab', ...args], { stdio: 'ignore', env });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
