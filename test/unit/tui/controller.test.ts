import { describe, expect, it } from 'vitest';
import { StepController } from '../../../src/tui/controller.js';
import { sampleTrace } from '../../../src/tui/sample-trace.js';
import type { TraceEvent } from '../../../src/tracer/event.js';

const begins = sampleTrace().filter((e) => e.phase === 'begin');
const beginOf = (step: string): TraceEvent => begins.find((e) => e.step === step)!;

describe('StepController', () => {
  it('step mode: a begin waits until next() releases it, one release per begin', () => {
    let released = 0;
    const c = new StepController(() => released++, true);
    c.onEvent(beginOf('unshare'));
    expect(released).toBe(0);
    expect(c.pending).toBe(1);
    expect(c.next()).toBe(true);
    expect(released).toBe(1);
    expect(c.next()).toBe(false); // nothing is waiting
    expect(released).toBe(1);
  });

  it('ignores end events and never releases when not stepping', () => {
    let released = 0;
    const c = new StepController(() => released++, false);
    for (const e of sampleTrace()) c.onEvent(e);
    c.continueRun();
    expect(released).toBe(0);
    expect(c.pending).toBe(0);
  });

  it('continue releases everything until a breakpoint, which stops it; continue again passes it', () => {
    let released = 0;
    const c = new StepController(() => released++, true);
    c.onEvent(beginOf('state.creating'));
    expect(c.toggleBreakpoint('pivot_root')).toBe(true);
    c.continueRun();
    expect(released).toBe(1);
    c.onEvent(beginOf('mount'));
    expect(released).toBe(2);
    c.onEvent(beginOf('pivot_root'));
    expect(released).toBe(2);
    expect(c.mode).toBe('step');
    expect(c.stoppedAt).toBe('pivot_root');
    c.continueRun();
    expect(released).toBe(3);
    expect(c.stoppedAt).toBeUndefined();
    expect(c.toggleBreakpoint('pivot_root')).toBe(false);
    c.onEvent(beginOf('pivot_root'));
    expect(released).toBe(4);
  });

  it('nudge: a relayed begin that took the watched process\'s go is credited, not released again', () => {
    let released = 0;
    const c = new StepController(() => released++, true, (e) => e.stage === 'init');
    c.continueRun();
    c.onEvent(beginOf('state.creating')); // cli, visible: released
    expect(released).toBe(1);
    // the init took that 'g'; the cli still waits; nothing arrives: the stall watch nudges
    c.nudge();
    expect(released).toBe(2);
    expect(c.credits).toBe(1);
    c.onEvent(beginOf('mkdir')); // a later begin of the watched process is released normally
    expect(released).toBe(3);
    c.onEvent(begins.find((e) => e.stage === 'init')!); // the init's begin finally relayed: it already ran
    expect(released).toBe(3);
    expect(c.credits).toBe(0);
    c.onEvent(begins.filter((e) => e.stage === 'init')[1]!);
    expect(released).toBe(4);
  });
});
