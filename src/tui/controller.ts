// Stepping policy: which blocked `begin` to let go, and when. A begin blocks its emitter until the
// controller releases it (one 'g' byte on the control pipe, or the next chunk of a replay).
// `c` releases every begin as it arrives, except begins whose step name carries a breakpoint.
import type { TraceEvent } from '../tracer/event.js';

export type RunMode = 'step' | 'continue';

export class StepController {
  mode: RunMode = 'step';
  readonly breakpoints = new Set<string>();
  /** begins that arrived and have not been released yet */
  pending = 0;
  /** the step name of the breakpoint that stopped a `continue`, until the next key */
  stoppedAt: string | undefined;

  constructor(private readonly release: () => void, readonly stepping: boolean) {}

  /** Called for every event, in order. */
  onEvent(event: TraceEvent): void {
    if (!this.stepping || event.phase !== 'begin') return;
    this.pending++;
    if (this.mode !== 'continue') return;
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

  private releaseOne(): void {
    this.pending--;
    this.release();
  }
}
