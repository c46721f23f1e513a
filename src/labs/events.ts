// What the runner reports while a lab runs; renderers (plain lines, the TUI) and reporters (TAP,
// JUnit) consume these.
import type { LabRef } from './catalog.js';
import type { CommandResult } from './format.js';
import type { TraceEvent } from '../tracer/event.js';

export interface CheckOutcome {
  step: string;
  title: string;
  from: 'inside' | 'outside';
  status: 'pass' | 'fail' | 'error';
  expected?: string;
  seen?: string;
  hint?: string;
  /** for status error: what went wrong, with lab.ts:line when known */
  error?: string;
  durationMs: number;
}

export interface LabResult {
  ref: LabRef;
  title: string;
  runtime: string;
  checks: CheckOutcome[];
  /** the lab could not load, start or finish its steps */
  error?: string;
  skipped?: string;
  durationMs: number;
  /** problems cleaning up (a container or mount that would not go away) */
  cleanupErrors: string[];
  /** traced steps: the runtime's (when it is tslab's) and the lab runner's own (cgroup joins, mounts) */
  trace: TraceEvent[];
}

/** A lab's result before anything ran; with `error`, the result of a lab that could not run at all. */
export function labResult(ref: LabRef, runtime: string, error?: string): LabResult {
  return { ref, title: ref.id, runtime, checks: [], ...(error !== undefined ? { error } : {}), durationMs: 0, cleanupErrors: [], trace: [] };
}

export function labPassed(r: LabResult): boolean {
  return !r.error && r.cleanupErrors.length === 0 && r.checks.every((c) => c.status === 'pass');
}

export type LabEvent =
  | { type: 'lab-start'; ref: LabRef; title: string; summary: string; runtime: string }
  | { type: 'container'; name: string; id: string; phase: 'created' | 'started' | 'deleted'; pid?: number; detail?: string }
  | { type: 'step'; index: number; total: number; title: string; say: string }
  | { type: 'command-start'; container?: string; sh: string }
  | { type: 'command'; container?: string; sh: string; result?: CommandResult; error?: string; durationMs: number }
  | { type: 'check'; outcome: CheckOutcome }
  /** a task starts: by: student (waits for them) or solution (runs the reference solution) */
  | { type: 'task'; instruction: string; where: string; command: string; by: 'student' | 'solution'; deadlineMs: number }
  | { type: 'task-hint'; say: string; seen: string }
  | { type: 'trace'; events: TraceEvent[] }
  | { type: 'lab-end'; result: LabResult };

export type LabSink = (event: LabEvent) => void;
