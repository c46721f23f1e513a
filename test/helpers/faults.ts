// Faults to inject, taken from a recorded trace (TSLAB_TRACE) of a real run or exec: every traced
// step of every process is a place TSLAB_FAULT can make fail, numbered as the tracer counts them.
import { readFileSync } from 'node:fs';
import type { TraceEvent } from '../../src/tracer/event.js';

export interface Fault {
  /** TSLAB_FAULT's form without the errno: stage/step:occurrence */
  spec: string;
  step: string;
}

export function readTrace(file: string): TraceEvent[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TraceEvent);
}

/**
 * The faults a trace offers: every step (points such as state.created cannot fail) numbered per
 * process; with full false, a sample: each step's first and last occurrence in each process.
 */
export function faultsOf(events: TraceEvent[], full: boolean): Fault[] {
  const counts = new Map<string, number>();
  const last = new Map<string, Fault>();
  const faults = new Map<string, Fault>();
  for (const e of events) {
    if (e.phase !== 'begin' || e.kind === 'lifecycle' || e.kind === 'info') continue;
    const key = `${e.pid}:${e.step}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    const fault = { spec: `${e.stage}/${e.step}:${n}`, step: e.step };
    if (full || n === 1) faults.set(fault.spec, fault);
    last.set(key, fault);
  }
  if (!full) for (const f of last.values()) faults.set(f.spec, f);
  return [...faults.values()];
}
