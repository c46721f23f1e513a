// Many at once: concurrent runs, and concurrent execs into one container (each exec has its own
// nsenter trampoline and pipes), all succeed with their own output and leave nothing behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId, type TestBundle } from '../../helpers/bundle.js';
import { run, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';
import { leftovers, TEST_PREFIX } from '../../helpers/leftovers.js';

const isRoot = process.getuid?.() === 0;
let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'tslabt-sec-conc-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!isRoot)('concurrency (needs root)', { timeout: 180_000 }, () => {
  it('12 runs at once each print their own id and leave nothing', async () => {
    const bundles: Array<{ id: string; b: TestBundle }> = [];
    for (let i = 0; i < 12; i++) {
      const id = uniqueId('sec-conc');
      bundles.push({ id, b: makeBundle(['sh', '-c', `echo ${id}`], undefined, id) });
    }
    try {
      const results = await Promise.all(bundles.map(({ id, b }) => run(TSLAB_RUNTIME, ['--root', root, 'run', '--bundle', b.dir, id], { timeoutMs: 120_000 })));
      results.forEach((r, i) => {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.trim()).toBe(bundles[i]!.id);
      });
      for (const { id } of bundles) expect(leftovers().filter((l) => l.includes(id))).toEqual([]);
    } finally {
      for (const { id, b } of bundles) {
        await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]);
        b.cleanup();
      }
    }
  });

  it('8 execs at once into one container', async () => {
    const id = uniqueId('sec-conc-exec');
    const b = makeBundle(['sleep', '300'], undefined, id);
    try {
      expect((await run(TSLAB_RUNTIME, ['--root', root, 'run', '--detach', '--bundle', b.dir, id])).code).toBe(0);
      await waitFor('the container to run', async () => (JSON.parse((await run(TSLAB_RUNTIME, ['--root', root, 'state', id])).stdout || '{}').status === 'running' || undefined));
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => run(TSLAB_RUNTIME, ['--root', root, 'exec', id, 'sh', '-c', `echo ${TEST_PREFIX}-${i}; exit ${i}`], { timeoutMs: 120_000 })));
      results.forEach((r, i) => {
        expect(r.code, r.stderr).toBe(i);
        expect(r.stdout.trim()).toBe(`${TEST_PREFIX}-${i}`);
      });
    } finally {
      await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]);
      b.cleanup();
    }
    expect(leftovers().filter((l) => l.includes(id))).toEqual([]);
  });
});
