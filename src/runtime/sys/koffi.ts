// Loads koffi's native module directly with process.dlopen: ~1 ms instead of ~10 ms for
// require('koffi'), which matters because every container init is a fresh Node process (docs/design.md §2).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as KoffiTypes from 'koffi';

export type Koffi = typeof KoffiTypes;

let loaded: Koffi | undefined;

function nativeModulePath(): string | undefined {
  const require = createRequire(import.meta.url);
  const triplet = `${process.platform}_${process.arch}`;
  try {
    const pkg = require.resolve(`@koromix/koffi-${process.platform}-${process.arch}/package.json`);
    const candidate = join(dirname(pkg), triplet, 'koffi.node');
    if (existsSync(candidate)) return candidate;
  } catch {
    // fall through to koffi's own loader
  }
  return undefined;
}

export function koffi(): Koffi {
  if (loaded) return loaded;
  const path = nativeModulePath();
  if (path) {
    const mod = { exports: {} as Koffi };
    process.dlopen(mod, path);
    loaded = mod.exports;
  } else {
    loaded = createRequire(import.meta.url)('koffi') as Koffi;
  }
  return loaded;
}
