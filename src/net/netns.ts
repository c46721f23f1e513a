// Doing work inside another network namespace. setns() moves only the calling thread (DESIGN §2), so
// this runs on the main thread, synchronously: open the target's nsfs file, join it, run fn (which
// must not await), then join the saved original namespace again.
import { closeSync, openSync } from 'node:fs';
import { CLONE, sys } from '../runtime/sys/index.js';

export function netnsPathOfPid(pid: number): string {
  return `/proc/${pid}/ns/net`;
}

export function inNetns<T>(path: string, fn: () => T): T {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  let target: number | undefined;
  try {
    target = openSync(path, 'r');
    sys.setns(target, CLONE.CLONE_NEWNET, path);
    try {
      const result = fn();
      if (result instanceof Promise) throw new Error('inNetns: fn must be synchronous (setns moves only this thread)');
      return result;
    } finally {
      sys.setns(home, CLONE.CLONE_NEWNET, 'back to the runtime\'s own network namespace');
    }
  } finally {
    if (target !== undefined) closeSync(target);
    closeSync(home);
  }
}
