// The init's two pipes to its parent: fd 3 carries JSON lines up (trace events and messages),
// fd 4 carries "go" lines down. Both are read and written synchronously: the init is single-minded.
import { closeSync, readSync, writeSync } from 'node:fs';

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

/** Reads fd to EOF (blocking or not), then closes it: the config the parent wrote on CONFIG_FD. */
export function readAllAndClose(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        continue;
      }
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  closeSync(fd);
  return Buffer.concat(chunks).toString('utf8');
}

/** Blocks until the parent writes a line; returns it, or undefined at EOF (the parent died). */
export function waitForParent(): string | undefined {
  // One byte at a time (what follows the line is not ours to read), into a buffer that grows: the
  // state line for hooks carries the annotations, which may be megabytes.
  let line = Buffer.alloc(256);
  let length = 0;
  for (;;) {
    if (length === line.length) line = Buffer.concat([line, Buffer.alloc(line.length)]);
    let n: number;
    try {
      n = readSync(DOWN_FD, line, length, 1, null);
    } catch (err) {
      // a non-blocking pipe: wait a little instead of spinning
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        continue;
      }
      throw err;
    }
    if (n === 0) return undefined;
    if (line[length] === 0x0a) return line.subarray(0, length).toString();
    length++;
  }
}
