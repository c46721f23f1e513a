// A config.json of any size runc accepts: the init's configuration travels down a pipe, not in an
// environment variable (which failed with `spawn E2BIG` above ~140 KB). 1 MB here, through run
// and through exec (whose helper gets the saved config's process), ours and runc side by side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';

const isRoot = process.getuid?.() === 0;
const runc = runcPath();
let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'tslabt-sec-big-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!isRoot || !runc)('a 1 MB config.json (ours and runc; needs root and runc)', { timeout: 60_000 }, () => {
  it.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s: run and exec work', async (name, rt) => {
    const id = uniqueId(`sec-big-${name}`);
    const b = makeBundle(['sleep', '300'], (spec) => {
      spec.annotations = { 'org.tslab.test.padding': 'x'.repeat(1024 * 1024) };
      spec.process!.env!.push(`TSLABT_BIG=${'y'.repeat(64 * 1024)}`);
    }, id);
    try {
      const r = await run(rt, ['--root', join(root, name), 'run', '--detach', '--bundle', b.dir, id]);
      expect(r.code, r.stderr).toBe(0);
      await waitFor('the container to run', async () => (JSON.parse((await run(rt, ['--root', join(root, name), 'state', id])).stdout || '{}').status === 'running' || undefined));
      const e = await run(rt, ['--root', join(root, name), 'exec', id, 'sh', '-c', 'echo ${#TSLABT_BIG}']);
      expect(e.code, e.stderr).toBe(0);
      expect(e.stdout.trim()).toBe(String(64 * 1024));
    } finally {
      await run(rt, ['--root', join(root, name), 'delete', '--force', id]);
      b.cleanup();
    }
  });
});
