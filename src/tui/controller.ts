// Stepping policy: which blocked `begin` to let go, and when. A begin blocks its emitter until the
// controller releases it (one 'g' byte on the control pipe, or the next chunk of a replay).
// `c` releases every begin as it arrives, except begins whose step name carries a breakpoint.
import type { TraceEvent } from '../tracer/event.js';

export type RunMode = 'step' | 'continue';

/**
 * Every process of a run reads the same control pipe, but only the watched process writes its
 * events to us directly: the init's events are relayed by it. So the init can block on a begin we
 * have not seen yet and take the 'g' meant for the runtime's visible begin; the runtime then waits
 * for a 'g' that never comes, and cannot relay the init's begin while it waits. `nudge()` sends
 * the missing 'g' and remembers that one relayed begin, when it shows up, has already run.
 */

export class StepController {
  mode: RunMode = 'step';
  readonly breakpoints = new Set<string>();
  /** begins that arrived and have not been released yet */
  pending = 0;
  /** the step name of the breakpoint that stopped a `continue`, until the next key */
  stoppedAt: string | undefined;

  /** 'g's sent for relayed begins we have not seen yet (see nudge) */
  credits = 0;

  constructor(
    private readonly release: () => void,
    readonly stepping: boolean,
    /** true for events relayed from another process (the init) rather than written by the watched one */
    private readonly relayed: (event: TraceEvent) => boolean = () => false,
    /** begins that run without stopping even in step mode (not a lab's key step) */
    private readonly runsThrough: (event: TraceEvent) => boolean = () => false,
  ) {}

  /** Called for every event, in order. */
  onEvent(event: TraceEvent): void {
    if (!this.stepping || event.phase !== 'begin') return;
    if (this.credits > 0 && this.relayed(event)) {
      this.credits--; // it already ran on the 'g' it took
      return;
    }
    this.pending++;
    if (this.mode !== 'continue') {
      if (this.runsThrough(event)) this.releaseOne();
      return;
    }
    if (this.breakpoints.has(event.step)) {
      this.mode = 'step';
      this.stoppedAt = event.step;
      return;
    }
    this.releaseOne();
  }

  /** space/enter: let the waiting step run. */
  next(): boolean {
    this.stoppedAt = undefined;
    if (this.pending === 0) return false;
    this.releaseOne();
    return true;
  }

  /** c: run to the end, or to the next breakpoint. */
  continueRun(): void {
    this.mode = 'continue';
    this.stoppedAt = undefined;
    // The step we are stopped at runs even when it carries the breakpoint that stopped us.
    while (this.pending > 0) this.releaseOne();
  }

  /** b: toggle a breakpoint on a step name; returns whether it is now set. */
  toggleBreakpoint(step: string): boolean {
    if (this.breakpoints.delete(step)) return false;
    this.breakpoints.add(step);
    return true;
  }

  /** The watched process waits on a released begin while nothing arrives: its 'g' was taken by a relayed begin. */
  nudge(): void {
    this.credits++;
    this.release();
  }

  private releaseOne(): void {
    this.pending--;
    this.release();
  }
}
