// cgroupsPath naming a cgroup that someone else's process is already in: the runtime joins it and
// never signals nor removes what it did not create (the probe saw `run` SIGKILL the process and
// rmdir the cgroup). runc is the oracle: it leaves both.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { uniqueId } from '../../helpers/bundle.js';
import { run } from '../../helpers/runtimes.js';
import { afterThisTest, cannotRun, oneContainer, OURS_AND_RUNC } from './one-container.js';
import { cgroupManager } from '../../../src/runtime/cgroups/index.js';
import { processAlive } from '../../../src/runtime/state.js';


describe.skipIf(cannotRun)('an existing, non-empty cgroup named by cgroupsPath (ours and runc; needs root and runc)', { timeout: 60_000 }, () => {
  it.each(OURS_AND_RUNC)('%s: run and delete leave the other process alive and its cgroup in place', async (name, rt) => {
    const path = `/${uniqueId(`sec-cg-${name}`)}-theirs`;
    const theirs = cgroupManager(path);
    theirs.create();
    const bystander = spawn('sleep', ['300'], { stdio: 'ignore' });
    afterThisTest(async () => {
      bystander.kill('SIGKILL');
      await theirs.destroy();
    });
    theirs.addProcess(bystander.pid!);
    const { id, root, bundle } = oneContainer(rt, `sec-cg-${name}`, ['true'], (spec) => { spec.linux!.cgroupsPath = path; });
    const r = await run(rt, ['--root', root, 'run', '--bundle', bundle.dir, id]);
    expect(r.code, r.stderr).toBe(0);
    expect(processAlive(bystander.pid!, undefined)).toBe(true);
    expect(theirs.pids()).toContain(bystander.pid);
    expect(theirs.dirs().every((d) => existsSync(d))).toBe(true);
  });
});
