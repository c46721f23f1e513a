// A trace as the exporters see it: completed steps in time order, relative to the first event.
import type { TraceEvent } from '../tracer/event.js';

export interface ExportStep {
  /** the end event, or the begin of a step that never ended (execve, a crash) */
  event: TraceEvent;
  /** ms from the trace's first event to the step's begin */
  start: number;
  /** ms the step took (0 for points and unfinished steps) */
  dur: number;
  finished: boolean;
}

export function exportSteps(events: readonly TraceEvent[]): ExportStep[] {
  if (events.length === 0) return [];
  const t0 = Math.min(...events.map((e) => e.t));
  const begins = new Map<string, TraceEvent>();
  const ends = new Map<string, TraceEvent>();
  for (const e of events) (e.phase === 'begin' ? begins : ends).set(e.id, e);
  const steps: ExportStep[] = [];
  for (const [id, begin] of begins) {
    const end = ends.get(id);
    const dur = end ? end.dur ?? Math.max(0, end.t - begin.t) : 0;
    steps.push({ event: end ?? begin, start: begin.t - t0, dur, finished: end !== undefined });
  }
  // ends without begins (a trace cut at the start) still count
  for (const [id, end] of ends) {
    if (!begins.has(id)) steps.push({ event: end, start: end.t - t0 - (end.dur ?? 0), dur: end.dur ?? 0, finished: true });
  }
  return steps.sort((a, b) => a.start - b.start);
}

/** The lifecycle points of a trace, in order: the markers of a recording and of the report. */
export function lifecycleSteps(steps: readonly ExportStep[]): ExportStep[] {
  return steps.filter((s) => s.event.kind === 'lifecycle');
}

export function lifecycleLabel(step: string): string {
  return step.replace(/^state\./, '');
}
