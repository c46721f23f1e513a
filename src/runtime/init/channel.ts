// The init's two pipes to its parent: fd 3 carries JSON lines up (trace events and messages),
// fd 4 carries "go" lines down. Both are read and written synchronously: the init is single-minded.
import { readSync, writeSync } from 'node:fs';

export const UP_FD = 3;
export const DOWN_FD = 4;

export type InitMessage =
  | { msg: 'ready' }
  | { msg: 'mounted' }
  | { msg: 'created' }
  | { msg: 'error'; error: string; errno?: string; /** the pipe closed: the process exec'd or died */ eof?: boolean };

let upFd = UP_FD;

export function redirectUp(fd: number): void {
  upFd = fd;
}

export function currentUpFd(): number {
  return upFd;
}

export function sendUp(message: InitMessage): void {
  try {
    writeSync(upFd, JSON.stringify(message) + '\n');
  } catch {
    // the parent is gone: nothing to tell
  }
}

/** Blocks until the parent writes a line; returns it, or undefined at EOF (the parent died). */
export function waitForParent(): string | undefined {
  const chunks: Buffer[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(DOWN_FD, one, 0, 1, null);
    } catch (err) {
      // a non-blocking pipe: wait a little instead of spinning
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        continue;
      }
      throw err;
    }
    if (n === 0) return undefined;
    if (one[0] === 0x0a) return Buffer.concat(chunks).toString();
    chunks.push(Buffer.from(one));
  }
}
