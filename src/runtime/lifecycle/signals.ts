// A foreground process of ours stands for the container's: what we are sent goes on to it, and its
// end becomes our exit status.
import { constants } from 'node:os';

/** What `run` and `exec` pass on by default (runc's list, less the ones Node cannot catch). */
export const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/**
 * Sends each of `signals` we receive on to `target` (a pid, or what delivers it, e.g. the runtime's
 * kill); `survive` are caught and dropped (a terminal already delivers them to the process itself).
 * Returns what undoes it.
 */
export function forwardSignals(target: number | ((signal: NodeJS.Signals) => void), signals: NodeJS.Signals[] = FORWARDED_SIGNALS,
  survive: NodeJS.Signals[] = []): () => void {
  const forward = (signal: NodeJS.Signals): void => {
    try {
      if (typeof target === 'number') process.kill(target, signal);
      else target(signal);
    } catch {
      // it already exited (or was not created yet)
    }
  };
  const ignore = (): void => {};
  for (const s of signals) process.on(s, forward);
  for (const s of survive) process.on(s, ignore);
  return () => {
    for (const s of signals) process.off(s, forward);
    for (const s of survive) process.off(s, ignore);
  };
}

/**
 * A process's end as a shell reports it: its exit code, or 128+N when signal N killed it. The one
 * rule for the runtime, the container layer (and its monitor, src/container/monitor.pl) and the TUI.
 * Neither (a process we could not even start) is 255, the status the monitor gives an unknown end.
 */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return code ?? UNKNOWN_EXIT_STATUS;
}

/** The exit status of an end we could not learn (the monitor without perl cannot reap the init). */
export const UNKNOWN_EXIT_STATUS = 255;
