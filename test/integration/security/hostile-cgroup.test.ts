// cgroupsPath naming a cgroup that someone else's process is already in: the runtime joins it and
// never signals nor removes what it did not create (the probe saw `run` SIGKILL the process and
// rmdir the cgroup). runc is the oracle: it leaves both.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME } from '../../helpers/runtimes.js';
import { cgroupManager } from '../../../src/runtime/cgroups/index.js';
import { processAlive } from '../../../src/runtime/state.js';

const isRoot = process.getuid?.() === 0;
const runc = runcPath();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

describe.skipIf(!isRoot || !runc)('an existing, non-empty cgroup named by cgroupsPath (ours and runc; needs root and runc)', { timeout: 60_000 }, () => {
  it.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s: run and delete leave the other process alive and its cgroup in place', async (name, rt) => {
    const id = uniqueId(`sec-cg-${name}`);
    const path = `/${id}-theirs`;
    const theirs = cgroupManager(path);
    theirs.create();
    const bystander = spawn('sleep', ['300'], { stdio: 'ignore' });
    cleanups.push(async () => {
      bystander.kill('SIGKILL');
      await theirs.destroy();
    });
    theirs.addProcess(bystander.pid!);
    const root = mkdtempSync(join(tmpdir(), 'tslabt-sec-cg-state-'));
    const bundle = makeBundle(['true'], (spec) => { spec.linux!.cgroupsPath = path; }, id);
    cleanups.push(async () => {
      await run(rt, ['--root', root, 'delete', '--force', id]);
      rmSync(root, { recursive: true, force: true });
      bundle.cleanup();
    });
    const r = await run(rt, ['--root', root, 'run', '--bundle', bundle.dir, id]);
    expect(r.code, r.stderr).toBe(0);
    expect(processAlive(bystander.pid!, undefined)).toBe(true);
    expect(theirs.pids()).toContain(bystander.pid);
    expect(theirs.dirs().every((d) => existsSync(d))).toBe(true);
  });
});
