// One writer at a time for network state (leases, endpoints, bridges, firewall rules), across tslab
// processes. The lock is a bound abstract unix socket named after the state folder: bind() succeeds
// for exactly one process, and the kernel releases the name when that process exits or is killed,
// so a crashed `tslab` never leaves a stale lock behind (a lock file with a PID could be).
// Abstract socket names belong to a network namespace: take the lock in the runtime's own netns,
// never inside a container's (withNetworkLock is called before any setns).
import { createHash } from 'node:crypto';
import { SysError, sys } from '../runtime/sys/index.js';
import { AF_UNIX, SOCK_CLOEXEC, SOCK_STREAM } from './netlink/constants.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function lockAddress(root: string): { addr: Buffer; name: string } {
  const name = `tslab-network-lock-${createHash('sha256').update(root).digest('hex').slice(0, 16)}`;
  const addr = Buffer.alloc(2 + 1 + name.length); // sockaddr_un: family, then NUL + name (abstract)
  addr.writeUInt16LE(AF_UNIX, 0);
  addr.write(name, 3, 'latin1');
  return { addr, name };
}

let held = 0;
let heldFd = -1;

/** Whether this process holds the network lock now (tests check no traced step runs under it). */
export function isNetworkLockHeld(): boolean {
  return held > 0;
}

/** Runs fn holding the network lock of `root`; reentrant within one process. */
export function withNetworkLock<T>(root: string, fn: () => T, timeoutMs = 30_000): T {
  if (held > 0) {
    held++;
    try {
      return fn();
    } finally {
      held--;
    }
  }
  const { addr, name } = lockAddress(root);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    const fd = sys.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 'socket AF_UNIX (network state lock)');
    try {
      sys.bind(fd, addr, `bind @${name} (take the network state lock)`);
      heldFd = fd;
      break;
    } catch (err) {
      sys.close(fd);
      if (!(err instanceof SysError && err.errno === 'EADDRINUSE')) throw err;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the network state lock @${name}`);
      sleepSync(delay);
    }
  }
  held = 1;
  try {
    return fn();
  } finally {
    held = 0;
    sys.close(heldFd);
    heldFd = -1;
  }
}
