import { constants } from 'node:os';
import { sys } from '../sys/index.js';
import { readState } from '../state.js';
import { cgroupManager } from '../cgroups/index.js';

/** SIGTERM, TERM, 15 → 15. */
export function parseSignal(value: string | undefined): number {
  if (value === undefined || value === '') return constants.signals.SIGTERM;
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n < 1 || n > 64) throw new Error(`signal ${value} is out of range (1-64)`);
    return n;
  }
  const name = value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`;
  const n = (constants.signals as Record<string, number>)[name];
  if (n === undefined) throw new Error(`unknown signal "${value}": use a name such as TERM or KILL, or a number`);
  return n;
}

export function killContainer(root: string, id: string, signal: number, all = false): void {
  const state = readState(root, id);
  if (state.status === 'stopped') throw new Error(`container "${id}" is stopped: container not running`);
  // kill(0, …) would signal our own process group
  if (state.pid <= 0) throw new Error(`container "${id}" is still being created: it has no process to signal yet (container not running)`);
  if (all) {
    for (const pid of cgroupManager(state.cgroupPath).pids()) {
      try {
        sys.kill(pid, signal);
      } catch {
        // exited meanwhile
      }
    }
    return;
  }
  sys.kill(state.pid, signal);
}
