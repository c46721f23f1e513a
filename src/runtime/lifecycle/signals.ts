// A foreground process of ours stands for the container's: what we are sent goes on to it, and its
// end becomes our exit status.
import { constants } from 'node:os';

/** What `run` and `exec` pass on by default (runc's list, less the ones Node cannot catch). */
export const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/**
 * Sends each of `signals` we receive on to `pid`; `survive` are caught and dropped (a terminal already
 * delivers them to the process itself). Returns what undoes it.
 */
export function forwardSignals(pid: number, signals: NodeJS.Signals[] = FORWARDED_SIGNALS, survive: NodeJS.Signals[] = []): () => void {
  const forward = (signal: NodeJS.Signals): void => {
    try {
      process.kill(pid, signal);
    } catch {
      // it already exited
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

/** A process's end as a shell reports it: its exit code, or 128+N when signal N killed it. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  return signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 0);
}
