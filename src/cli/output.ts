// A command's output on stdout without creating process.stdout: Node builds that stream on first
// use (a SyncWriteStream for a file, a net.Socket for a pipe, a tty.WriteStream for a terminal),
// which loads node:stream and costs a listing more than the rest of its work. writeSync(1) is
// what the stream itself does for a file and, on Linux, for a pipe or terminal with room.
import { writeSync } from 'node:fs';

/** process.stdout once something created it: from then on every write goes through it, in order. */
let stream: NodeJS.WriteStream | undefined;

/** Called when process.stdout is created (src/cli/program.ts). */
export function adoptStdout(created: NodeJS.WriteStream): void {
  stream = created;
}

/** A reader that went away (EPIPE) or a closed terminal (EIO): the command ends quietly. */
export function isGoneReader(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EPIPE' || err.code === 'EIO';
}

/** Writes `text` to stdout in full, synchronously unless fd 1 is non-blocking and full. */
export function writeOut(text: string | Uint8Array): void {
  if (stream) {
    stream.write(text);
    return;
  }
  let rest = typeof text === 'string' ? Buffer.from(text) : text;
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(1, rest));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (isGoneReader(e)) process.exit(0);
      // a pipe another process made non-blocking, and full: the stream queues the rest and waits
      if (e.code !== 'EAGAIN') throw err;
      process.stdout.write(rest);
      return;
    }
  }
}
