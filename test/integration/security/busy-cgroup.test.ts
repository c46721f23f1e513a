// A container's cgroup that cannot be removed at delete: someone made a sub-cgroup in it and put a
// process there that is not the container's. runc is the oracle: it warns naming the busy directory
// (rmdir …: device or resource busy), removes the rest and the state, and exits 0. Ours used to fail
// with EBUSY and leave the state folder, so the container still looked like it existed.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';
import { cgroupManager } from '../../../src/runtime/cgroups/index.js';

const isRoot = process.getuid?.() === 0;
const runc = runcPath();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

describe.skipIf(!isRoot || !runc)('delete with a busy sub-cgroup (ours and runc; needs root and runc)', { timeout: 60_000 }, () => {
  it.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s: warns naming the busy cgroup, deletes the container, exits 0', async (name, rt) => {
    const id = uniqueId(`reliab-busy-${name}`);
    const root = mkdtempSync(join(tmpdir(), 'tslabt-reliab-busy-'));
    const bundle = makeBundle(['sleep', '300'], undefined, id);
    const cgroup = cgroupManager(bundle.spec.linux!.cgroupsPath!);
    cleanups.push(async () => {
      await run(rt, ['--root', root, 'delete', '--force', id]);
      rmSync(root, { recursive: true, force: true });
      bundle.cleanup();
    });
    expect((await run(rt, ['--root', root, 'run', '--detach', '--bundle', bundle.dir, id])).code).toBe(0);
    // one controller's directory (v1: memory when there is one) gets a sub-cgroup with a host process
    const dirs = cgroup.dirs();
    const busyDir = dirs.find((d) => d.includes('/memory/')) ?? dirs[0]!;
    const sub = join(busyDir, 'tslabt-reliab-sub');
    mkdirSync(sub);
    const bystander = spawn('sleep', ['300'], { stdio: 'ignore' });
    cleanups.push(async () => {
      bystander.kill('SIGKILL');
      await waitFor('the bystander to leave its cgroup', () => (bystander.exitCode !== null || bystander.signalCode !== null ? true : undefined));
      for (const d of [sub, ...dirs]) if (existsSync(d)) rmdirSync(d);
    });
    writeFileSync(join(sub, 'cgroup.procs'), String(bystander.pid));

    expect((await run(rt, ['--root', root, 'kill', id, 'KILL'])).code).toBe(0);
    await waitFor('the container to stop', async () => (/"status": *"stopped"/.test((await run(rt, ['--root', root, 'state', id])).stdout) ? true : undefined));
    const r = await run(rt, ['--root', root, 'delete', id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(sub);
    expect(r.stderr).toMatch(/busy/i);
    // deleted: the runtime no longer knows it, and only the busy directory is left
    expect((await run(rt, ['--root', root, 'state', id])).code).not.toBe(0);
    expect(dirs.filter((d) => existsSync(d))).toEqual([busyDir]);
    expect(bystander.exitCode).toBe(null);
  });
});
