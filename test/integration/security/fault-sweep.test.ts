// Faults at the steps of a real `run` and `exec`, enumerated from a trace of each recorded first
// (TSLAB_TRACE), never from a hand-kept list: every traced step of the runtime, its init and its exec
// helper is a place TSLAB_FAULT can make fail. Each faulty run or exec must end (no hang), name the
// step when it fails, and leave nothing: no state, no process, no cgroup, no mount; an exec leaves
// the container as it was. A fault that is only a warning (a cgroup rmdir at delete, as runc warns)
// must name what it left, which the test then removes. A fault where the runtime cannot put itself
// back (its pid namespace, its gid) stops it at once, saying so; `delete --force` must then recover.
//
// By default a sample taken from the trace runs: the first occurrence of every distinct step of
// each process, plus its last occurrence when there are several (~75 faults, under a minute here).
// TSLAB_FAULT_SWEEP=full runs every occurrence of every step (~240 faults, ~2.5 min here).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId, type TestBundle } from '../../helpers/bundle.js';
import { run, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';
import { leftovers } from '../../helpers/leftovers.js';
import { cgroupManager } from '../../../src/runtime/cgroups/index.js';
import { faultsOf, readTrace, type Fault } from '../../helpers/faults.js';

const isRoot = process.getuid?.() === 0;
const FULL = process.env.TSLAB_FAULT_SWEEP === 'full';
/** what the runtime says when it must stop at once (src/runtime/lifecycle/unreachable-spawn.ts) */
const STOPPED = /stopping \(delete --force cleans up after a create\)/;
/** an errno no step expects as a normal outcome */
const ERRNO = 'EIO';

function processesOf(bundleDir: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(bundleDir)) found.push(Number(pid));
    } catch {
      // gone
    }
  }
  return found;
}

/** The cgroup directories a warning says were left in place (the test removes them). */
function leftInPlace(stderr: string): string[] {
  return [...stderr.matchAll(/cgroup (\/sys\/fs\/cgroup\/\S+) is left in place/g)].map((m) => m[1]!);
}

/** What a run or exec with `fault` did wrong, as lines (none: it behaved). */
function judge(fault: Fault, r: { code: number; stderr: string }): string[] {
  const wrong: string[] = [];
  const named = r.stderr.includes(`${fault.step} failed: ${ERRNO}`);
  if (r.code !== 0 && !named) wrong.push(`${fault.spec}: exit ${r.code} without naming the step: ${r.stderr.trim().split('\n').pop()}`);
  return wrong;
}

let root: string;
let traceDir: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tslabt-reliab-sweep-'));
  traceDir = mkdtempSync(join(tmpdir(), 'tslabt-reliab-trace-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(traceDir, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('faults at the steps of a traced run and exec (needs root)', () => {
  it(`run: every ${FULL ? '' : 'sampled '}step fails cleanly`, { timeout: FULL ? 1_800_000 : 300_000 }, async () => {
    const edit = (s: TestBundle['spec']): void => { s.linux!.resources = { pids: { limit: 20 } }; };
    const traced = uniqueId('reliab-sweep-trace');
    const b = makeBundle(['true'], edit, traced);
    const wrong: string[] = [];
    try {
      const trace = join(traceDir, 'run.jsonl');
      const ok = await run(TSLAB_RUNTIME, ['--root', root, 'run', '--bundle', b.dir, traced], { env: { ...process.env, TSLAB_TRACE: trace } });
      expect(ok.code, ok.stderr).toBe(0);
      const faults = faultsOf(readTrace(trace), FULL);
      // the init's open of exec.fifo and the runtime's setns are among them (they once hung or said nothing)
      expect(faults.map((f) => f.spec)).toEqual(expect.arrayContaining(['init/open:1', 'cli/setns:1', 'cli/rmdir:1']));
      for (const fault of faults) {
        const id = uniqueId('reliab-sweep');
        b.spec.linux!.cgroupsPath = `/${id}`;
        b.write();
        const r = await run(TSLAB_RUNTIME, ['--root', root, 'run', '--bundle', b.dir, id], {
          env: { ...process.env, TSLAB_FAULT: `${fault.spec}:${ERRNO}` }, timeoutMs: 30_000,
        }).catch((err: Error) => ({ code: -1, stdout: '', stderr: `hung: ${err.message.split('\n')[0]}` }));
        wrong.push(...judge(fault, r));
        // a fault at a step that puts the runtime back as it was stops it at once: delete --force recovers
        if (STOPPED.test(r.stderr)) await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]);
        if (existsSync(join(root, id))) wrong.push(`${fault.spec}: left its state folder`);
        for (const dir of leftInPlace(r.stderr)) rmdirSync(dir);
        if (processesOf(b.dir).length) wrong.push(`${fault.spec}: left processes ${processesOf(b.dir).join(' ')}`);
        const left = leftovers().filter((l) => l.includes(id));
        if (left.length) wrong.push(`${fault.spec}: left ${left.join(', ')}`);
        await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]);
      }
    } finally {
      b.cleanup();
    }
    expect(wrong).toEqual([]);
  });

  it(`exec: every ${FULL ? '' : 'sampled '}step fails cleanly and leaves the container as it was`, { timeout: FULL ? 1_800_000 : 300_000 }, async () => {
    const id = uniqueId('reliab-sweep-exec');
    const b = makeBundle(['sleep', '300'], undefined, id);
    const cgroup = cgroupManager(b.spec.linux!.cgroupsPath!);
    const wrong: string[] = [];
    try {
      expect((await run(TSLAB_RUNTIME, ['--root', root, 'run', '--detach', '--bundle', b.dir, id])).code).toBe(0);
      const state = async (): Promise<{ status?: string; pid?: number }> => JSON.parse((await run(TSLAB_RUNTIME, ['--root', root, 'state', id])).stdout || '{}');
      const init = await waitFor('the container to run', async () => ((await state()).status === 'running' ? (await state()).pid : undefined));
      const trace = join(traceDir, 'exec.jsonl');
      const ok = await run(TSLAB_RUNTIME, ['--root', root, 'exec', id, 'true'], { env: { ...process.env, TSLAB_TRACE: trace } });
      expect(ok.code, ok.stderr).toBe(0);
      const faults = faultsOf(readTrace(trace), FULL);
      expect(faults.map((f) => f.spec)).toEqual(expect.arrayContaining(['exec/setns:1', 'exec/execve:1']));
      for (const fault of faults) {
        const r = await run(TSLAB_RUNTIME, ['--root', root, 'exec', id, 'true'], {
          env: { ...process.env, TSLAB_FAULT: `${fault.spec}:${ERRNO}` }, timeoutMs: 30_000,
        }).catch((err: Error) => ({ code: -1, stdout: '', stderr: `hung: ${err.message.split('\n')[0]}` }));
        wrong.push(...judge(fault, r));
        const s = await state();
        if (s.status !== 'running' || s.pid !== init) wrong.push(`${fault.spec}: the container is now ${s.status} (init ${s.pid})`);
        // the exec's process and helper are gone: only the init stays in the container's cgroup
        await waitFor(`${fault.spec}: the exec's processes to leave`, () => (cgroup.pids().every((p) => p === init) ? true : undefined), 10_000)
          .catch(() => wrong.push(`${fault.spec}: left processes ${cgroup.pids().filter((p) => p !== init).join(' ')} in the container`));
      }
    } finally {
      await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]);
      b.cleanup();
    }
    expect(wrong).toEqual([]);
    expect(leftovers().filter((l) => l.includes(id))).toEqual([]);
  });
});
