// What the cgroup security tests share: each runs one container on ours and on runc (the oracle),
// from a fresh bundle and a private state root, and undoes everything after each test.
import { afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId, type TestBundle } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME } from '../../helpers/runtimes.js';
import type { Spec } from '../../../src/oci/spec.js';

export const runc = runcPath();
/** Why such a test cannot run here, or undefined: it needs root and runc. */
export const cannotRun = process.getuid?.() !== 0 || !runc;
/** [name, runtime path] for it.each: ours, then runc. */
export const OURS_AND_RUNC: Array<[string, string]> = [['ours', TSLAB_RUNTIME], ['runc', runc ?? '']];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** Runs f after the current test, last registered first. */
export function afterThisTest(f: () => Promise<void> | void): void {
  cleanups.push(f);
}

export interface OneContainer {
  id: string;
  root: string;
  bundle: TestBundle;
}

/** A bundle running argv as container tslabt-…-<tag>, with its own state root; deleted after the test. */
export function oneContainer(rt: string, tag: string, argv: string[], edit?: (spec: Spec, id: string) => void): OneContainer {
  const id = uniqueId(tag);
  const root = mkdtempSync(join(tmpdir(), `tslabt-${tag}-`));
  const bundle = makeBundle(argv, edit, id);
  afterThisTest(async () => {
    await run(rt, ['--root', root, 'delete', '--force', id]);
    rmSync(root, { recursive: true, force: true });
    bundle.cleanup();
  });
  return { id, root, bundle };
}
