import { describe, expect, it } from 'vitest';
import { TraceModel } from '../../../src/tui/model.js';
import { sampleTrace } from '../../../src/tui/sample-trace.js';

describe('TraceModel', () => {
  it('merges begin and end into one row per step, with status, duration and errno', () => {
    const m = new TraceModel();
    m.addAll(sampleTrace({ failAt: 'pivot_root' }));
    const pivot = m.rows.find((r) => r.step === 'pivot_root')!;
    expect(pivot.status).toBe('failed');
    expect(pivot.errno).toBe('EPERM');
    const mount = m.rows.find((r) => r.step === 'mount')!;
    expect(mount.status).toBe('ok');
    expect(mount.dur).toBeGreaterThan(0);
    // execve never ends when it succeeds
    expect(m.rows.find((r) => r.step === 'execve')!.status).toBe('pending');
    expect(new Set(m.rows.map((r) => r.id)).size).toBe(m.rows.length);
  });

  it('inserts a group header whenever the stage or the process changes', () => {
    const m = new TraceModel();
    m.addAll(sampleTrace());
    const headers = m.lines.filter((l) => l.type === 'header').map((l) => (l.type === 'header' ? `${l.stage}:${l.pid}` : ''));
    expect(headers).toEqual(['cli:4100', 'init:4123', 'cli:4100']);
    m.rows.forEach((r, i) => expect(m.lines[m.rowLine[i]!]).toEqual({ type: 'step', row: r }));
  });

  it('follows the lifecycle, the container id, the init pid, unshared namespaces and cgroup writes', () => {
    const m = new TraceModel();
    m.addAll(sampleTrace({ container: 'tslabt-x', initPid: 777 }));
    expect(m.states).toEqual(['creating', 'created', 'running', 'stopped', 'deleted']);
    expect(m.state).toBe('deleted');
    expect(m.container).toBe('tslabt-x');
    expect(m.initPid).toBe(777);
    expect([...m.unshared].sort()).toEqual(['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts']);
    expect(m.cgroupWrites.map((w) => `${w.file}=${w.value}`)).toEqual(['memory.max=33554432', 'pids.max=64', 'cgroup.procs=777']);
  });

  it('keeps up with 10,000 events quickly', () => {
    const events = sampleTrace({ extraSteps: 5000 });
    expect(events.length).toBeGreaterThan(10_000);
    const m = new TraceModel();
    const start = performance.now();
    m.addAll(events);
    expect(performance.now() - start).toBeLessThan(500);
    expect(m.rows.length).toBe(m.rowLine.length);
  });
});
