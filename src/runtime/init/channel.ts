// The init's two pipes to its parent: fd 3 carries JSON lines up (trace events and messages), fd 4
// carries the parent's messages down, JSON lines too. The init reads and writes them synchronously:
// it is single-minded. The exec helper uses the same pipes (it hears only `go`).
import { closeSync, readSync, writeSync } from 'node:fs';

export const UP_FD = 3;
export const DOWN_FD = 4;

export type InitMessage =
  | { msg: 'ready' }
  | { msg: 'mounted' }
  | { msg: 'created' }
  /** on exec.fifo once open: `start` sees the writer even when no trace event follows (the fifo closes at execve) */
  | { msg: 'opened' }
  | { msg: 'error'; error: string; errno?: string; /** the pipe closed: the process exec'd or died */ eof?: boolean };

/** What the parent says down, in this order (the exec helper hears only go). */
export type ParentMessage =
  /** Node has booted and the uid/gid maps are written: go on; events carry the host pid from now on */
  | { msg: 'go'; hostPid: number }
  /** the init is in the container's cgroup: it may make its cgroup namespace */
  | { msg: 'joined' }
  /** the createRuntime hooks ran: the OCI state the container's own hooks get on stdin */
  | { msg: 'hook-state'; state: Record<string, unknown> };

export type ParentMessageKind = ParentMessage['msg'];

/** One message as a line on the down pipe. */
export function encodeParentMessage(message: ParentMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** A line from the down pipe as the message it must be, else undefined. */
export function decodeParentMessage<K extends ParentMessageKind>(line: string, expected: K): Extract<ParentMessage, { msg: K }> | undefined {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown };
    return parsed?.msg === expected ? (parsed as Extract<ParentMessage, { msg: K }>) : undefined;
  } catch {
    return undefined;
  }
}

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

/**
 * Blocks until the parent's next message; exits (status 1) when it is not the one expected or the
 * pipe closed (the parent died): nothing is left to do without it.
 */
export function waitForParent<K extends ParentMessageKind>(expected: K): Extract<ParentMessage, { msg: K }> {
  const line = readLine();
  const message = line === undefined ? undefined : decodeParentMessage(line, expected);
  if (!message) process.exit(1);
  return message;
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
function readLine(): string | undefined {
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
