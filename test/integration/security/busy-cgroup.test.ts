// A container's cgroup that cannot be removed at delete: someone made a sub-cgroup in it and put a
// process there that is not the container's. runc is the oracle: it warns naming the busy directory
// (rmdir …: device or resource busy), removes the rest and the state, and exits 0. Ours used to fail
// with EBUSY and leave the state folder, so the container still looked like it existed.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, waitFor } from '../../helpers/runtimes.js';
import { afterThisTest, cannotRun, oneContainer, OURS_AND_RUNC } from './one-container.js';
import { cgroupManager } from '../../../src/runtime/cgroups/index.js';


describe.skipIf(cannotRun)('delete with a busy sub-cgroup (ours and runc; needs root and runc)', { timeout: 60_000 }, () => {
  it.each(OURS_AND_RUNC)('%s: warns naming the busy cgroup, deletes the container, exits 0', async (name, rt) => {
    const { id, root, bundle } = oneContainer(rt, `reliab-busy-${name}`, ['sleep', '300']);
    const cgroup = cgroupManager(bundle.spec.linux!.cgroupsPath!);
    expect((await run(rt, ['--root', root, 'run', '--detach', '--bundle', bundle.dir, id])).code).toBe(0);
    // one controller's directory (v1: memory when there is one) gets a sub-cgroup with a host process
    const dirs = cgroup.dirs();
    const busyDir = dirs.find((d) => d.includes('/memory/')) ?? dirs[0]!;
    const sub = join(busyDir, 'tslabt-reliab-sub');
    mkdirSync(sub);
    const bystander = spawn('sleep', ['300'], { stdio: 'ignore' });
    afterThisTest(async () => {
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
