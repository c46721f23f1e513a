// The TUI's picture of a trace: one row per step (begin and end merged by id), group headers
// where the emitting stage or process changes, the lifecycle so far and the cgroup writes.
// Adding an event is O(1), so a 10,000-event trace costs nothing to keep up to date.
import type { ArgValue, Stage, TraceEvent, EventKind } from '../tracer/event.js';

/** expected: failed with the errno that is the normal outcome on its path (see TraceEvent.expected) */
export type StepStatus = 'pending' | 'ok' | 'failed' | 'expected';

export interface StepRow {
  /** position in `rows` */
  index: number;
  id: string;
  step: string;
  kind: EventKind;
  stage: Stage;
  pid: number;
  summary: string;
  args: Record<string, ArgValue>;
  status: StepStatus;
  /** monotonic ms of the begin event */
  t: number;
  dur?: number;
  result?: ArgValue;
  errno?: string;
  error?: string;
  /** why the errno is the normal outcome here */
  expected?: string;
  container?: string;
}

export type ListLine = { type: 'header'; stage: Stage; pid: number } | { type: 'step'; row: StepRow };

export const LIFECYCLE = ['creating', 'created', 'running', 'stopped', 'deleted'] as const;

export interface CgroupWrite {
  path: string;
  file: string;
  value: string;
  ok: boolean;
}

export class TraceModel {
  readonly rows: StepRow[] = [];
  readonly lines: ListLine[] = [];
  /** rowLine[i]: the line index of rows[i] */
  readonly rowLine: number[] = [];
  readonly cgroupWrites: CgroupWrite[] = [];
  /** lifecycle states in the order they were reached */
  readonly states: string[] = [];
  /** namespace flags the trace unshared (CLONE_NEWPID → pid) */
  readonly unshared = new Set<string>();
  container: string | undefined;
  /** host pid of the container's init, when the trace says it */
  initPid: number | undefined;
  events = 0;
  /** bumped on every change, so React can tell a new picture from an old one */
  version = 0;
  private readonly byId = new Map<string, StepRow>();
  private lastStage: Stage | undefined;
  private lastPid: number | undefined;

  add(event: TraceEvent): void {
    this.events++;
    this.version++;
    if (event.container && !this.container) this.container = event.container;
    if (event.stage === 'init' && event.pid > 1) this.initPid = event.pid;
    const known = this.byId.get(event.id);
    if (known) {
      if (event.phase === 'end') this.finish(known, event);
      return;
    }
    const row: StepRow = {
      index: this.rows.length,
      id: event.id,
      step: event.step,
      kind: event.kind,
      stage: event.stage,
      pid: event.pid,
      summary: event.summary,
      args: event.args ?? {},
      status: 'pending',
      t: event.t,
      ...(event.container ? { container: event.container } : {}),
    };
    if (event.stage !== this.lastStage || event.pid !== this.lastPid) {
      this.lines.push({ type: 'header', stage: event.stage, pid: event.pid });
      this.lastStage = event.stage;
      this.lastPid = event.pid;
    }
    this.rows.push(row);
    this.rowLine.push(this.lines.length);
    this.lines.push({ type: 'step', row });
    this.byId.set(event.id, row);
    if (event.step.startsWith('state.') && event.kind === 'lifecycle') this.states.push(event.step.slice(6));
    if (event.step === 'unshare' && typeof row.args.flags === 'string') {
      for (const flag of row.args.flags.split('|')) if (flag.startsWith('CLONE_NEW')) this.unshared.add(nsName(flag));
    }
    if (event.phase === 'end') this.finish(row, event);
  }

  addAll(events: readonly TraceEvent[]): void {
    for (const e of events) this.add(e);
  }

  get state(): string | undefined {
    return this.states[this.states.length - 1];
  }

  /** Whether a step of process `pid` has begun and not ended (among the latest steps). */
  hasPendingOf(pid: number): boolean {
    for (let i = this.rows.length - 1; i >= 0 && i >= this.rows.length - 64; i--) {
      const r = this.rows[i]!;
      if (r.status === 'pending' && r.pid === pid) return true;
    }
    return false;
  }

  /** The last step that has begun but not ended: where a stepped run is waiting. */
  lastPending(): StepRow | undefined {
    for (let i = this.rows.length - 1; i >= 0 && i >= this.rows.length - 64; i--) {
      if (this.rows[i]!.status === 'pending') return this.rows[i];
    }
    return undefined;
  }

  private finish(row: StepRow, end: TraceEvent): void {
    row.status = end.errno ? (end.expected ? 'expected' : 'failed') : 'ok';
    if (end.expected) row.expected = end.expected;
    if (end.dur !== undefined) row.dur = end.dur;
    if (end.result !== undefined) row.result = end.result;
    if (end.errno) row.errno = end.errno;
    if (end.error) row.error = end.error;
    if (row.step === 'cgroup.write' && typeof row.args.path === 'string') {
      const path = row.args.path;
      const file = path.slice(path.lastIndexOf('/') + 1);
      const value = String(row.args.value ?? '').trim();
      this.cgroupWrites.push({ path, file, value, ok: !end.errno });
      // the runtime moves the init into its cgroup before the init says anything
      if (file === 'cgroup.procs' && this.initPid === undefined && /^\d+$/.test(value)) this.initPid = Number(value);
    }
  }
}

const NS_BY_FLAG: Record<string, string> = {
  CLONE_NEWNS: 'mnt', CLONE_NEWUTS: 'uts', CLONE_NEWIPC: 'ipc', CLONE_NEWPID: 'pid', CLONE_NEWNET: 'net',
  CLONE_NEWUSER: 'user', CLONE_NEWCGROUP: 'cgroup', CLONE_NEWTIME: 'time',
};

export function nsName(flag: string): string {
  return NS_BY_FLAG[flag] ?? flag.replace(/^CLONE_NEW/, '').toLowerCase();
}
