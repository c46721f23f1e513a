// tracer.divert: a runtime command run in this process traces as its own process would, to its sink only.
import { describe, expect, it } from 'vitest';
import { memorySink, Tracer } from '../../../src/tracer/tracer.js';
import type { TraceEvent } from '../../../src/tracer/event.js';

const relayed = (step: string): TraceEvent => ({ v: 1, seq: 1, id: '9:1', t: 0, wall: 0, pid: 9, stage: 'init', kind: 'syscall', step, args: {}, summary: step, phase: 'begin' } as TraceEvent);

describe('Tracer.divert', () => {
  it('sends emitted and relayed events to the diverted sink only, then to the usual sinks again', () => {
    const t = new Tracer();
    const usual = memorySink();
    const direct = memorySink();
    t.addSink(usual.sink);
    t.addSink(direct.sink, { direct: true });
    const file = memorySink();
    const restore = t.divert(file.sink);
    t.point('lifecycle', 'state.created');
    t.relay(relayed('pivot_root'));
    restore();
    expect(file.events.map((e) => e.step)).toEqual(['state.created', 'state.created', 'pivot_root']);
    expect([...usual.events, ...direct.events]).toEqual([]);
    t.point('lifecycle', 'state.deleted');
    expect(usual.events.map((e) => e.step)).toEqual(['state.deleted', 'state.deleted']);
    expect(direct.events).toHaveLength(2);
  });

  it('diverted to no sink, nothing is traced (a runtime without a trace file)', () => {
    const t = new Tracer();
    const usual = memorySink();
    t.addSink(usual.sink);
    const restore = t.divert(undefined);
    expect(t.active).toBe(false);
    expect(t.step({ kind: 'syscall', step: 'mount' }, () => 42)).toBe(42);
    restore();
    expect(t.active).toBe(true);
    expect(usual.events).toEqual([]);
  });
});
