// The Chrome trace event format (chrome://tracing, https://ui.perfetto.dev): one complete ("X")
// event per step on a track per process, lifecycle points as global instant events.
import type { TraceEvent } from '../tracer/event.js';
import { exportSteps, lifecycleLabel } from './steps.js';

export interface ChromeEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'i' | 'M';
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 'g' | 'p' | 't';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string>;
}

export function toChromeTrace(trace: readonly TraceEvent[], title?: string): ChromeTrace {
  const out: ChromeEvent[] = [];
  const named = new Set<number>();
  for (const s of exportSteps(trace)) {
    const e = s.event;
    if (!named.has(e.pid)) {
      named.add(e.pid);
      out.push({ name: 'process_name', ph: 'M', pid: e.pid, tid: e.pid, args: { name: `${e.stage} (pid ${e.pid})` } });
    }
    const ts = Math.round(s.start * 1000 * 1000) / 1000; // µs
    const args: Record<string, unknown> = { summary: e.summary, ...e.args };
    if (e.errno) args.errno = e.errno;
    if (e.error) args.error = e.error;
    if (e.result !== undefined) args.result = e.result;
    if (!s.finished) args.finished = false;
    if (e.kind === 'lifecycle') {
      out.push({ name: lifecycleLabel(e.step), cat: 'lifecycle', ph: 'i', s: 'g', ts, pid: e.pid, tid: e.pid, args });
    } else {
      out.push({ name: e.step, cat: `${e.kind},${e.stage}`, ph: 'X', ts, dur: Math.round(s.dur * 1000 * 1000) / 1000, pid: e.pid, tid: e.pid, args });
    }
  }
  return { traceEvents: out, displayTimeUnit: 'ms', otherData: { generator: 'tslab trace export', ...(title ? { title } : {}) } };
}
