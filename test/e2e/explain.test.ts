// `tslab explain` answers for every step name that real traces contain: a container's whole
// lifecycle (engine, runtime, init, network, pause/unpause) and labs run by `tslab test`, all
// recorded with `tslab --trace FILE`. A new step without a catalogue entry fails here.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain } from '../../src/explain/index.js';
import { parseTrace, type TraceEvent } from '../../src/tracer/event.js';
import { containerWorld } from './container-helpers.js';
import { tslab as tslabIn } from '../integration/image/registry.js';
import { leftoversOf, tslab } from './lab-helpers.js';
import { removeDefaultNetworkAfterAll } from '../helpers/default-network.js';

const work = mkdtempSync(join(tmpdir(), 'tslabt-explain-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
removeDefaultNetworkAfterAll(); // the network labs bring up tslab0

describe('tslab explain', () => {
  it('prints the entry of a step, a cgroup file and a namespace flag; names what it does not know', async () => {
    const pivot = await tslab(['explain', 'pivot_root']);
    expect(pivot.code, pivot.stderr).toBe(0);
    expect(pivot.stdout).toMatch(/^pivot_root\n/);
    expect(pivot.stdout).toContain(explain('pivot_root')!.title);
    expect(pivot.stdout).toMatch(/What: /);
    expect(pivot.stdout).toMatch(/Without it: /);
    const mem = await tslab(['explain', 'memory.max']);
    expect(mem.code, mem.stderr).toBe(0);
    expect(mem.stdout).toContain('memory.max (step cgroup.write)');
    expect(mem.stdout).toContain('memory.max: Hard memory limit (cgroup v2)');
    const pid = await tslab(['explain', 'CLONE_NEWPID']);
    expect(pid.stdout).toContain('CLONE_NEWPID — pid: children get their own pid numbering');
    const unknown = await tslab(['explain', 'no_such_step']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no explanation for "no_such_step"');
    const list = await tslab(['explain', '--list']);
    expect(list.stdout.split('\n')).toEqual(expect.arrayContaining(['pivot_root', 'state.paused', 'cgroup-freeze']));
  });
});

function stepsOf(file: string): TraceEvent[] {
  return parseTrace(readFileSync(file, 'utf8'));
}

describe('every step name in real traces has an explanation', () => {
  it('tslab --trace FILE container run records the engine, the runtime and the init; pause/unpause emit their states', async () => {
    const world = containerWorld();
    const file = join(work, 'container.jsonl');
    try {
      const run = await tslabIn(['--trace', file, 'container', 'run', '--rm', 'busybox', 'true'], world.env);
      expect(run.code, run.stderr).toBe(0);
      const name = `tslabt-explain-${process.pid}`;
      const pause = join(work, 'pause.jsonl');
      expect((await tslabIn(['container', 'run', '-d', '--name', name, 'busybox', 'sleep', '300'], world.env)).code).toBe(0);
      for (const verb of ['pause', 'unpause']) {
        const r = await tslabIn(['--trace', pause, 'container', verb, name], world.env);
        expect(r.code, r.stderr).toBe(0);
      }
      expect((await tslabIn(['container', 'rm', '-f', name], world.env)).code).toBe(0);

      const events = stepsOf(file);
      const stages = new Set(events.map((e) => e.stage));
      expect([...stages]).toEqual(expect.arrayContaining(['cli', 'init']));
      const steps = new Set(events.map((e) => e.step));
      for (const s of ['state.creating', 'state.created', 'state.running', 'pivot_root', 'execve', 'netlink.RTM_NEWLINK']) expect(steps, s).toContain(s);
      expect([...steps].filter((s) => !explain(s))).toEqual([]);
      // a failure on the normal path is marked expected, so nothing paints it red
      const failed = events.filter((e) => e.phase === 'end' && e.errno && !e.expected);
      expect(failed.map((e) => `${e.step} ${e.errno}`)).toEqual([]);

      const pauseEvents = stepsOf(pause);
      const paused = pauseEvents.map((e) => e.step);
      expect(paused).toEqual(expect.arrayContaining(['cgroup.write', 'state.paused', 'state.resumed']));
      // the freezer's own file is written (freezer.state on v1, cgroup.freeze on v2), with the value
      const freezes = pauseEvents.filter((e) => e.step === 'cgroup.write' && /(freezer\.state|cgroup\.freeze)/.test(JSON.stringify(e.args)));
      expect(freezes.length, JSON.stringify(pauseEvents.map((e) => e.args))).toBeGreaterThanOrEqual(2);
      expect(paused.filter((s) => !explain(s))).toEqual([]);
    } finally {
      await world.cleanup();
    }
  }, 180_000);

  it('tslab --trace FILE test records the labs\' runtime steps (namespaces, cgroups, overlay, network)', async () => {
    const file = join(work, 'labs.jsonl');
    const labs = ['labs/namespaces/pid-namespace', 'labs/cgroups/memory-limit', 'labs/overlay/copy-on-write', 'labs/network/port-publish'];
    const r = await tslab(['--trace', file, 'test', ...labs, '--name-prefix', 'tslabt-explain-']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const events = stepsOf(file);
    const steps = new Set(events.map((e) => e.step));
    for (const s of ['unshare', 'cgroup.write', 'mount', 'state.created']) expect(steps, s).toContain(s);
    // the runtime runs in the lab's process (ours, in-process), yet traces as a runtime process: its
    // stage, the init's events relayed, every event once
    for (const stage of ['lab', 'cli', 'init']) expect(new Set(events.map((e) => e.stage))).toContain(stage);
    const keys = events.map((e) => `${e.pid} ${e.id} ${e.phase}`); // an init is pid 1 of its own namespace: its ids repeat
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    expect([...steps].filter((s) => !explain(s))).toEqual([]);
    expect(leftoversOf('tslabt-explain-')).toEqual([]);
  }, 300_000);
});
