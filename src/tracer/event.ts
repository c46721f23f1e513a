// The trace event: one JSON object per line. docs/trace-format.md is the prose version of this file;
// bump TRACE_FORMAT_VERSION whenever a field changes meaning or disappears.

export const TRACE_FORMAT_VERSION = 1;

/** Which process emitted the event, from the point of view of the container's lifecycle. */
export type Stage = 'cli' | 'init' | 'hook' | 'exec' | 'lab';

/**
 * What kind of step it is:
 * - syscall: a libc call made through src/runtime/sys
 * - write: a write to a kernel interface file (cgroup, uid_map, sysctl, oom_score_adj)
 * - exec: execve of the container's program, or a helper program run by the runtime
 * - lifecycle: a state transition of the container (creating, created, running, stopped, deleted)
 * - netlink: one rtnetlink request and its answer
 * - hook: an OCI hook run by the runtime
 * - info: narration that is not a kernel operation (a decision the runtime took, and why)
 */
export type EventKind = 'syscall' | 'write' | 'exec' | 'lifecycle' | 'netlink' | 'hook' | 'info';

/** begin: emitted before the step runs (stepping blocks here); end: after, with result or errno. */
export type Phase = 'begin' | 'end';

export type ArgValue = string | number | boolean | null | ArgValue[] | { [key: string]: ArgValue };

export interface TraceEvent {
  /** format version, always TRACE_FORMAT_VERSION */
  v: number;
  /** per-process sequence number, starting at 1 */
  seq: number;
  /** identifies the step across its begin and end events: `${pid}:${seq of the begin event}` */
  id: string;
  /** CLOCK_MONOTONIC in milliseconds (comparable between processes of one boot) */
  t: number;
  /** wall clock, milliseconds since the epoch */
  wall: number;
  /** pid of the emitting process as the host sees it when known, else as it sees itself */
  pid: number;
  /** the pid the emitter sees for itself inside its pid namespace, when it differs (added on relay) */
  nspid?: number;
  stage: Stage;
  kind: EventKind;
  phase: Phase;
  /** the step name: unshare, mount, pivot_root, cgroup.write, uid_map.write, execve, state.created, … */
  step: string;
  /** decoded arguments: flag words as names (`CLONE_NEWPID|CLONE_NEWNS`), paths, values written */
  args: Record<string, ArgValue>;
  /** one-line human summary, e.g. `unshare CLONE_NEWPID|CLONE_NEWNS` */
  summary: string;
  /** container id when the emitter knows it */
  container?: string;
  /** end only: the call's return value, when it is useful */
  result?: ArgValue;
  /** end only: errno name (EPERM, EINVAL, …) when the step failed */
  errno?: string;
  /** end only: error message when the step failed */
  error?: string;
  /** end only, with errno: the failure is the normal outcome on this path, and why (drawn as expected, not red) */
  expected?: string;
  /** end only: duration in milliseconds */
  dur?: number;
}

export function isTraceEvent(value: unknown): value is TraceEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<TraceEvent>;
  return (
    typeof e.v === 'number' &&
    typeof e.seq === 'number' &&
    typeof e.step === 'string' &&
    typeof e.kind === 'string' &&
    (e.phase === 'begin' || e.phase === 'end')
  );
}

/** Parses a JSONL trace; throws naming the line that is not an event. */
export function parseTrace(text: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`trace line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
    }
    if (!isTraceEvent(parsed)) throw new Error(`trace line ${i + 1} is not a tslab trace event`);
    events.push(parsed);
  }
  return events;
}

/** The completed steps of a trace: end events, plus begin events that never ended (a crash or exec). */
export function completedSteps(events: TraceEvent[]): TraceEvent[] {
  const ended = new Set(events.filter((e) => e.phase === 'end').map((e) => e.id));
  return events.filter((e) => e.phase === 'end' || !ended.has(e.id));
}
