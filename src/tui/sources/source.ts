// Where the TUI's events come from: a live child process, or a recorded trace replayed.
import type { TraceEvent } from '../../tracer/event.js';

export interface SourceHandlers {
  /** events in emission order (called with small batches) */
  events(batch: TraceEvent[]): void;
  /** text the watched command wrote to stdout or stderr */
  output(text: string, stream: 'stdout' | 'stderr'): void;
  /** the watched command ended (replay: the trace ran out) */
  exit(code: number | null, signal: NodeJS.Signals | null): void;
}

export interface EventSource {
  /** true when every begin waits for release() */
  readonly stepping: boolean;
  /** 'live' for a running command, 'replay' for a recorded trace */
  readonly kind: 'live' | 'replay';
  /** pid of the process that writes events directly (others' events are relayed by it) */
  readonly rootPid?: number | undefined;
  /** true when the watched process waits in read() for a 'g'; undefined when unknown */
  rootWaitsForGo?(): boolean | undefined;
  start(handlers: SourceHandlers): void;
  /** lets the oldest waiting begin run */
  release(): void;
  /** begins to let run without stopping (a lab stops only at its key steps) */
  runsThrough?(event: TraceEvent): boolean;
  /** words of the lab for a step, shown above its catalogue explanation */
  labNote?(event: Pick<TraceEvent, 'step' | 'args'>): string | undefined;
  /** stops waiting for the controller and ends the watched command (q); initPid: the container's init, if known */
  stop(hint?: { initPid?: number | undefined }): void;
}
