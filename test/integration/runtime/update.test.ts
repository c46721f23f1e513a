// update, with runc's command line and JSON (docker update and containerd's task update call
// `update --resources -`): the same steps under tslab-runtime and runc, the cgroup files compared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME, type Runtime } from '../../helpers/runtimes.js';
import { cgroupManager, normaliseCgroupPath } from '../../../src/runtime/cgroups/index.js';

let stateRoot: string;
const runtimes: Runtime[] = [];

beforeAll(() => {
  stateRoot = mkdtempSync(join(tmpdir(), 'tslabt-upd-state-'));
  const runc = runcPath();
  if (!runc) throw new Error('runc is not installed (apt-get install runc): it is the oracle for these tests');
  runtimes.push({ name: 'tslab', path: TSLAB_RUNTIME, root: join(stateRoot, 'tslab') }, { name: 'runc', path: runc, root: join(stateRoot, 'runc') });
});

afterAll(() => rmSync(stateRoot, { recursive: true, force: true }));

/** The limits as the kernel has them, read through the project's own cgroup manager. */
function limits(cgroupPath: string): Record<string, string | number | undefined> {
  const cg = cgroupManager(cgroupPath);
  const stats = cg.stats();
  const file = (name: string): string | undefined => {
    for (const dir of cg.dirs()) {
      try {
        return readFileSync(join(dir, name), 'utf8').trim();
      } catch {
        // not in this hierarchy
      }
    }
    return undefined;
  };
  return {
    memory: stats.memoryLimit, pids: stats.pidsLimit,
    cpu: cg.mode === 'v2' ? file('cpu.max') : `${file('cpu.cfs_quota_us')} ${file('cpu.cfs_period_us')}`,
    shares: cg.mode === 'v2' ? file('cpu.weight') : file('cpu.shares'),
  };
}

/** Runs the update steps on one runtime; returns the limits after each. */
async function updateSteps(rt: Runtime): Promise<Array<Record<string, string | number | undefined>>> {
  const id = uniqueId(`upd-${rt.name}`);
  const b = makeBundle(['sleep', '600'], (s) => {
    s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } };
  }, id);
  const r = (args: string[], input?: string) => run(rt.path, ['--root', rt.root, ...args], { input });
  const path = normaliseCgroupPath(`/${id}`, id);
  const seen: Array<Record<string, string | number | undefined>> = [];
  try {
    const started = await r(['run', '--detach', '--bundle', b.dir, id]);
    expect(started.stderr).toBe('');
    seen.push(limits(path));
    // docker's JSON: every field present, zeros for what does not change
    const dockerJson = { memory: { limit: 32 * 1024 * 1024, reservation: 0, swap: 0 }, cpu: { shares: 0, quota: 0, period: 0, cpus: '', mems: '' }, blockIO: { weight: 0 }, pids: { limit: 0 } };
    const fromStdin = await r(['update', '--resources', '-', id], JSON.stringify(dockerJson));
    expect(fromStdin.stderr).toBe('');
    expect(fromStdin.code).toBe(0);
    seen.push(limits(path));
    const fromFlags = await r(['update', '--memory', '48m', '--pids-limit', '20', '--cpu-quota', '50000', '--cpu-period', '100000', '--cpu-share', '512', id]);
    expect(fromFlags.stderr).toBe('');
    seen.push(limits(path));
    // with --resources the flags are ignored
    const both = await r(['update', '--resources', '-', '--memory', '16m', id], JSON.stringify({ pids: { limit: 30 } }));
    expect(both.code).toBe(0);
    seen.push(limits(path));
    return seen;
  } finally {
    await r(['delete', '--force', id]);
    b.cleanup();
  }
}

describe('update', () => {
  it('changes the limits in the cgroup exactly as runc does', async () => {
    const [ours, runcs] = [await updateSteps(runtimes[0]!), await updateSteps(runtimes[1]!)];
    expect(ours[1]!.memory).toBe(32 * 1024 * 1024);
    expect(ours[2]).toMatchObject({ memory: 48 * 1024 * 1024, pids: 20 });
    expect(ours[3]).toMatchObject({ memory: 48 * 1024 * 1024, pids: 30 });
    expect(ours).toEqual(runcs);
  });

  it('refuses bad input in one line and changes nothing', async () => {
    const rt = runtimes[0]!;
    const id = uniqueId('upd-bad');
    const b = makeBundle(['sleep', '600'], (s) => { s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 * 1024 * 1024 } }; }, id);
    const r = (args: string[], input?: string) => run(rt.path, ['--root', rt.root, ...args], { input });
    try {
      expect((await r(['run', '--detach', '--bundle', b.dir, id])).code).toBe(0);
      const path = normaliseCgroupPath(`/${id}`, id);
      for (const [args, input, message] of [
        [['update', '-r', '-', id], '{"memory":', /not valid JSON/],
        [['update', '--blkio-weight', '500', id], undefined, /blockIO\.weight: tslab does not apply/],
        [['update', '--memory', 'lots', id], undefined, /--memory "lots": give bytes/],
        [['update', '--memory', '1m', 'tslabt-upd-nonesuch'], undefined, /tslabt-upd-nonesuch/],
      ] as Array<[string[], string | undefined, RegExp]>) {
        const res = await r(args, input);
        expect(res.code).not.toBe(0);
        expect(res.stderr.trim().split('\n')).toHaveLength(1);
        expect(res.stderr).toMatch(message);
      }
      expect(limits(path).memory).toBe(64 * 1024 * 1024);
    } finally {
      await r(['delete', '--force', id]);
      b.cleanup();
    }
  });
});
