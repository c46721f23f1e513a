// The engine's container API as the lab runner uses it — create → start → exec → inspect → stop →
// remove — against our runtime and runc, leaving no mount, cgroup or process behind.
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineContainer, MissingImageError, resolveRuntime, RuntimeCli } from '../../../src/container/index.js';
import { defaultSpec } from '../../../src/oci/spec.js';
import { isMountPoint } from '../../../src/runtime/mountinfo.js';
import { processAlive } from '../../../src/runtime/proc.js';

const scratch = mkdtempSync(join(tmpdir(), 'tslabt-engapi-'));
chmodSync(scratch, 0o711);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function container(runtimeName: string, name: string, image = 'busybox'): EngineContainer {
  const id = `tslabt-engapi-${runtimeName}-${name}-${process.pid}`;
  return new EngineContainer({
    id, image, bundle: join(scratch, id), outputFile: join(scratch, `${id}.out`),
    runtime: new RuntimeCli(resolveRuntime(runtimeName), join(scratch, `state-${runtimeName}`)),
    spec: (rootfs) => {
      const spec = defaultSpec({ args: ['sh', '-c', 'echo started; exec sleep 1000000'], terminal: false });
      spec.ociVersion = '1.0.2';
      spec.root = { path: rootfs, readonly: false };
      spec.linux!.cgroupsPath = `/${id}`;
      return spec;
    },
  });
}

describe.skipIf(process.getuid?.() !== 0)('EngineContainer (needs root)', () => {
  it.each(['tslab', 'runc'])('%s: create, start, exec, inspect, stop and remove', async (runtimeName) => {
    const c = container(runtimeName, 'life');
    try {
      await c.create();
      expect(c.pid).toBeGreaterThan(0);
      expect((await c.inspect()).status).toBe('created');
      expect(isMountPoint(c.rootfs)).toBe(true);
      expect(c.overlay!.lower).not.toBe('');
      await c.start();
      expect((await c.inspect()).status).toBe('running');
      const r = await c.exec('echo $$; cat /proc/1/cmdline | tr "\\0" " "; touch /made-here');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^\d+\nsleep 1000000 ?$/);
      expect(existsSync(join(c.overlay!.upper, 'made-here'))).toBe(true); // the write went to this container's upper
      await c.stop(5_000);
      expect(processAlive(c.pid)).toBe(false);
    } finally {
      expect(await c.remove()).toEqual([]);
    }
    expect(isMountPoint(c.rootfs)).toBe(false);
    expect(await c.request.runtime.stateAsync(c.id)).toBeUndefined();
  }, 90_000);

  // the in-process life itself runs from the build (the init is dist/init.cjs): test/e2e/explain.test.ts
  it('ours is in-process only when asked; another runtime never is', () => {
    expect(new RuntimeCli(resolveRuntime('tslab'), '/run/x').inProcess).toBe(false);
    expect(new RuntimeCli(resolveRuntime('runc'), '/run/x', { inProcess: true }).inProcess).toBe(false);
  });

  it('an image the store does not have is a MissingImageError, and remove() after it is a no-op', async () => {
    const c = container('tslab', 'noimage', 'tslabt-no-such-image');
    await expect(c.create()).rejects.toBeInstanceOf(MissingImageError);
    expect(c.created).toBe(false);
    expect(await c.remove()).toEqual([]);
  });
});
