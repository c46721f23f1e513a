// require() of a bundle with V8's code cache beside it (BUNDLE.cache): compiling the ~900 kB CLI
// bundle costs ~10 ms per start, the cache turns that into a deserialisation. The cache is written
// on the first run (scripts/bundle.mjs makes that run) and again whenever V8 rejects it (another
// Node version); a read-only install just runs without one. Same semantics as require().
// On Node 20 a function deserialised from a code cache loses the script's dynamic-import callback
// (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so the bundle's `import()` calls go through
// globalThis.__tslabImport (scripts/bundle.mjs rewrites them), defined here, outside the script.
// The CLI's command groups are bundles of their own that the entry bundle requires through
// globalThis.__tslabRequire, this function: each with its own code cache.
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');
// the loader's own class: require('node:module') would load the public module (~0.3 ms) for it
const Module = module.constructor;
const vm = require('node:vm');

/** file → its module's exports: like require(), each file runs once */
const loaded = new Map();

module.exports = function cachedRequire(file) {
  if (loaded.has(file)) return loaded.get(file);
  const cacheFile = `${file}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // no cache yet
  }
  // relative specifiers are the bundle's; bare ones resolve from this package's node_modules alike
  globalThis.__tslabRequire ??= cachedRequire;
  globalThis.__tslabImport = (specifier) => import(specifier.startsWith('.') ? pathToFileURL(resolve(dirname(file), specifier)).href : specifier);
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), {
    filename: file, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  const req = (id) => mod.require(id);
  req.resolve = (id, o) => Module._resolveFilename(id, mod, false, o);
  script.runInThisContext().call(mod.exports, mod.exports, req, mod, file, dirname(file));
  mod.loaded = true;
  loaded.set(file, mod.exports);
  if (cachedData === undefined || script.cachedDataRejected) {
    // at exit, so that the functions this run compiled are in it too
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // not writable: run without
      }
    });
  }
  return mod.exports;
};
