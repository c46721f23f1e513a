// The one tracer of a process. Every step of the runtime goes through `step()`: it emits a begin
// event, waits at the stepping gate, applies fault injection, runs the step and emits the end event.
import { ENV } from '../env.js';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { TRACE_FORMAT_VERSION, type ArgValue, type EventKind, type Stage, type TraceEvent } from './event.js';

export type Sink = (event: TraceEvent) => void;

/** An error that carries an errno name, so the end event can report it. */
export interface ErrnoLike {
  errno?: string | number;
  code?: string;
  message: string;
}

export interface StepSpec {
  kind: EventKind;
  step: string;
  args?: Record<string, ArgValue>;
  summary?: string;
  /** a failure with this errno is the normal outcome on this path: the end event says why */
  expectErrno?: { errno: string; why: string };
}


interface Fault {
  stage?: string;
  step: string;
  occurrence: number;
  errno: string;
}

export class InjectedFault extends Error {
  readonly errno: string;
  constructor(step: string, errno: string) {
    super(`${step} failed: ${errno} (injected by TSLAB_FAULT)`);
    this.errno = errno;
  }
}

/** The errno name of an error: ours carry it as `errno`, Node's fs errors as `code` (errno is a number there). */
export function errnoOf(err: unknown): string {
  const e = err as ErrnoLike;
  if (typeof e.errno === 'string') return e.errno;
  return e.code ?? 'ERROR';
}

/** The end event's fields for a step that threw: its errno, and why when that errno was expected. */
function failure(spec: StepSpec, err: unknown): Partial<TraceEvent> {
  const errno = errnoOf(err);
  return { errno, error: (err as Error).message, ...(spec.expectErrno?.errno === errno ? { expected: spec.expectErrno.why } : {}) };
}

export class Tracer {
  stage: Stage = 'cli';
  container: string | undefined;
  private seq = 0;
  private readonly sinks: Sink[] = [];
  /** sinks that other processes write to themselves: relayed events must not be copied there */
  private readonly direct = new Set<Sink>();
  /** in a pid namespace the init sees itself as 1; the runtime tells it its host pid */
  private hostPid: number | undefined;
  private controlFd: number | undefined;
  private faults: Fault[] = [];
  private readonly counts = new Map<string, number>();
  /** set while a step of another stage runs in this process as its own process would: its events go only here */
  private diversion: { sink?: Sink } | undefined;

  /**
   * direct: the sink is a pipe every process of the run writes to itself (TSLAB_EVENTS_FD), so
   * events relayed from another process are not copied into it a second time.
   */
  addSink(sink: Sink, options: { direct?: boolean } = {}): () => void {
    this.sinks.push(sink);
    if (options.direct) this.direct.add(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
      this.direct.delete(sink);
    };
  }

  /**
   * Until the returned function is called, every event (emitted or relayed) goes to `sink` only, or
   * nowhere without one: the runtime's commands called in-process (src/oci/runtime-in-process.ts)
   * trace as a runtime process would, to its trace file, and not into this process's sinks.
   */
  divert(sink: Sink | undefined): () => void {
    const previous = this.diversion;
    this.diversion = { sink };
    return () => {
      this.diversion = previous;
    };
  }

  setHostPid(pid: number | undefined): void {
    this.hostPid = pid;
  }

  /** Drops the sinks that are not direct (the init switches its pipe to exec.fifo at created). */
  clearSinks(): void {
    for (let i = this.sinks.length - 1; i >= 0; i--) if (!this.direct.has(this.sinks[i]!)) this.sinks.splice(i, 1);
  }

  get active(): boolean {
    return this.diversion ? this.diversion.sink !== undefined : this.sinks.length > 0;
  }

  /** With a control fd, every begin event blocks until the controller writes one byte ('g'). */
  setControlFd(fd: number | undefined): void {
    this.controlFd = fd;
  }

  get stepping(): boolean {
    return this.controlFd !== undefined;
  }

  /**
   * TSLAB_FAULT=[stage/]step:occurrence:ERRNO[,…] makes the Nth call of that step (in that stage's
   * process, e.g. init/unshare:1:EINVAL) fail without running.
   */
  setFaults(spec: string | undefined): void {
    this.faults = [];
    if (!spec) return;
    for (const part of spec.split(',')) {
      const [where, occ, errno] = part.split(':');
      if (!where || !occ || !errno || !/^\d+$/.test(occ)) {
        throw new Error(`${ENV.FAULT}: "${part}" is not [stage/]step:occurrence:ERRNO (e.g. init/mount:2:EPERM)`);
      }
      const [stage, step] = where.includes('/') ? where.split('/', 2) as [string, string] : [undefined, where];
      this.faults.push({ ...(stage ? { stage } : {}), step, occurrence: Number(occ), errno });
    }
  }

  /** Relays an event emitted by another process (the init, a hook) to this process's sinks. */
  relay(event: TraceEvent): void {
    if (this.diversion) return void this.diversion.sink?.(event);
    for (const sink of this.sinks) if (!this.direct.has(sink)) sink(event);
  }

  private emit(partial: Omit<TraceEvent, 'v' | 'seq' | 't' | 'wall' | 'pid' | 'stage' | 'id'> & { id?: string }): TraceEvent {
    const seq = ++this.seq;
    const event: TraceEvent = {
      v: TRACE_FORMAT_VERSION,
      seq,
      id: partial.id ?? `${process.pid}:${seq}`,
      t: Number(process.hrtime.bigint()) / 1e6,
      wall: Date.now(),
      pid: this.hostPid ?? process.pid,
      ...(this.hostPid !== undefined && this.hostPid !== process.pid ? { nspid: process.pid } : {}),
      stage: this.stage,
      ...(this.container !== undefined ? { container: this.container } : {}),
      ...partial,
    };
    if (this.diversion) this.diversion.sink?.(event);
    else for (const sink of this.sinks) sink(event);
    return event;
  }

  /** An event with no duration: lifecycle transitions and narration. */
  point(kind: EventKind, step: string, args: Record<string, ArgValue> = {}, summary = step): void {
    if (!this.active && this.controlFd === undefined) return;
    const begin = this.emit({ kind, step, args, summary, phase: 'begin' });
    this.waitAtGate();
    this.emit({ id: begin.id, kind, step, args, summary, phase: 'end', dur: 0 });
  }

  /** Runs fn as one traced step. The end event carries the result, or the errno of what fn threw. */
  step<T>(spec: StepSpec, fn: () => T, describeResult?: (value: T) => ArgValue): T {
    const finish = this.begin(spec);
    try {
      this.injectFault(spec.step);
      const value = fn();
      finish(describeResult ? { result: describeResult(value) } : {});
      return value;
    } catch (err) {
      finish(failure(spec, err));
      throw err;
    }
  }

  /** Async variant for steps that wait on the event loop (hooks, helper processes). */
  async stepAsync<T>(spec: StepSpec, fn: () => Promise<T>, describeResult?: (value: T) => ArgValue): Promise<T> {
    const finish = this.begin(spec);
    try {
      this.injectFault(spec.step);
      const value = await fn();
      finish(describeResult ? { result: describeResult(value) } : {});
      return value;
    } catch (err) {
      finish(failure(spec, err));
      throw err;
    }
  }

  /** Emits the begin event, waits at the gate, and returns what emits the matching end event. */
  private begin(spec: StepSpec): (extra: Partial<TraceEvent>) => void {
    if (!this.active && this.controlFd === undefined) return () => {};
    const args = spec.args ?? {};
    const summary = spec.summary ?? spec.step;
    const begin = this.emit({ kind: spec.kind, step: spec.step, args, summary, phase: 'begin' });
    this.waitAtGate();
    const start = process.hrtime.bigint();
    return (extra) => {
      const dur = Number(process.hrtime.bigint() - start) / 1e6;
      this.emit({ id: begin.id, kind: spec.kind, step: spec.step, args, summary, phase: 'end', dur, ...extra });
    };
  }

  private injectFault(step: string): void {
    if (this.faults.length === 0) return;
    const n = (this.counts.get(step) ?? 0) + 1;
    this.counts.set(step, n);
    const fault = this.faults.find((f) => f.step === step && f.occurrence === n && (f.stage === undefined || f.stage === this.stage));
    if (fault) throw new InjectedFault(step, fault.errno);
  }

  private waitAtGate(): void {
    if (this.controlFd === undefined) return;
    const buf = Buffer.alloc(1);
    for (;;) {
      let n: number;
      try {
        n = readSync(this.controlFd, buf, 0, 1, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw err;
      }
      if (n === 0) {
        // The controller went away (the TUI quit): stop stepping and let cleanup run.
        this.controlFd = undefined;
        return;
      }
      if (buf[0] === 0x67 /* g */) return;
    }
  }
}

export const tracer = new Tracer();

/** A sink that appends JSON lines to a file (opened once, written synchronously so no event is lost). */
export function fileSink(path: string): { sink: Sink; close: () => void } {
  const fd = openSync(path, 'a');
  return {
    sink: (event) => {
      writeSync(fd, JSON.stringify(event) + '\n');
    },
    close: () => closeSync(fd),
  };
}

/** A sink that writes JSON lines to an inherited fd (the init's pipe to its parent). */
export function fdSink(fd: number): Sink {
  return (event) => {
    try {
      writeSync(fd, JSON.stringify(event) + '\n');
    } catch {
      // The reader is gone (the parent exited): tracing must never break the container.
    }
  };
}

/** Collects events in memory, for tests and for the TUI in the same process. */
export function memorySink(): { sink: Sink; events: TraceEvent[] } {
  const events: TraceEvent[] = [];
  return { sink: (e) => void events.push(e), events };
}

/** Wires the tracer from the environment: TSLAB_TRACE, TSLAB_EVENTS_FD, TSLAB_CONTROL_FD, TSLAB_FAULT. */
export function configureFromEnv(env: NodeJS.ProcessEnv, traceFile?: string): () => void {
  const closers: Array<() => void> = [];
  const file = traceFile ?? env[ENV.TRACE];
  if (file) {
    const f = fileSink(file);
    tracer.addSink(f.sink);
    closers.push(f.close);
  }
  const eventsFd = env[ENV.EVENTS_FD];
  if (eventsFd && /^\d+$/.test(eventsFd)) tracer.addSink(fdSink(Number(eventsFd)), { direct: true });
  const controlFd = env[ENV.CONTROL_FD];
  if (controlFd && /^\d+$/.test(controlFd)) tracer.setControlFd(Number(controlFd));
  tracer.setFaults(env[ENV.FAULT]);
  return () => closers.forEach((c) => c());
}
