// Replays a recorded trace as if it were live: every begin waits for release(), so stepping,
// continue and breakpoints behave exactly as they do on a running container.
import type { TraceEvent } from '../../tracer/event.js';
import type { EventSource, SourceHandlers } from './source.js';

export class ReplaySource implements EventSource {
  readonly kind = 'replay' as const;
  readonly stepping = true;
  private handlers: SourceHandlers | undefined;
  private cursor = 0;
  private credits = 0;
  private pumping = false;
  private scheduled = false;
  private ended = false;

  constructor(private readonly events: readonly TraceEvent[]) {}

  start(handlers: SourceHandlers): void {
    this.handlers = handlers;
    this.credits = 0;
    this.deliverUpToNextBegin();
  }

  release(): void {
    this.credits++;
    if (this.pumping || this.scheduled) return;
    this.scheduled = true;
    // Asynchronous, so that `continue` over 10,000 events never recurses through the controller.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  stop(): void {
    this.cursor = this.events.length;
    this.finish();
  }

  private pump(): void {
    this.pumping = true;
    try {
      while (this.credits > 0 && !this.ended) {
        this.credits--;
        this.deliverUpToNextBegin();
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Delivers the events after the cursor up to and including the next begin (where a live run would block). */
  private deliverUpToNextBegin(): void {
    const h = this.handlers;
    if (!h || this.ended) return;
    const batch: TraceEvent[] = [];
    while (this.cursor < this.events.length) {
      const e = this.events[this.cursor++]!;
      batch.push(e);
      if (e.phase === 'begin') break;
    }
    if (batch.length > 0) h.events(batch);
    if (this.cursor >= this.events.length) this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.handlers?.exit(0, null);
  }
}
