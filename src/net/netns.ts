// Doing work inside another network namespace. setns() moves only the calling thread (docs/design.md §2), so
// this runs on the main thread, synchronously: join the target namespace, run fn (which must not
// await), then join the saved original namespace again.
import { closeSync, openSync } from 'node:fs';
import { CLONE, sys } from '../runtime/sys/index.js';

export function netnsPathOfPid(pid: number): string {
  return `/proc/${pid}/ns/net`;
}

/** Runs fn inside the network namespace open at `fd` (an nsfs file such as /proc/<pid>/ns/net). */
export function inNetnsFd<T>(fd: number, label: string, fn: () => T): T {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  try {
    sys.setns(fd, CLONE.CLONE_NEWNET, label);
    try {
      const result = fn();
      if (result instanceof Promise) throw new Error('inNetns: fn must be synchronous (setns moves only this thread)');
      return result;
    } finally {
      sys.setns(home, CLONE.CLONE_NEWNET, 'back to the runtime\'s own network namespace');
    }
  } finally {
    closeSync(home);
  }
}

export function inNetns<T>(path: string, fn: () => T): T {
  const fd = openSync(path, 'r');
  try {
    return inNetnsFd(fd, path, fn);
  } finally {
    closeSync(fd);
  }
}
