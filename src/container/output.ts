// A foreground container's output: copied to its log and to our stdout/stderr. When our reader goes
// away (`tslab container run … | head`: EPIPE) or the terminal closes (EIO), the copy to it stops and
// `readerGone` says which stream it was (the caller closes the container's end, so that its writer
// stops as in a shell pipeline); the run then goes on to its clean-up (--rm) instead of ending there.
import { writeSync } from 'node:fs';

export interface OutputRelay {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** what to do once a reader is gone: set by whoever holds the container's output pipes */
  readerGone: (which: 'stdout' | 'stderr') => void;
  /** stops listening for our streams' errors (a command's own handler takes over again) */
  close(): void;
}

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };

export function relayOutput(io: Io, log: number, readerGone: OutputRelay['readerGone']): OutputRelay {
  const gone = new Set<NodeJS.WritableStream>();
  const listeners: Array<[NodeJS.WritableStream, (err: NodeJS.ErrnoException) => void]> = [];
  for (const stream of new Set([io.stdout, io.stderr])) {
    // a sink that is no stream (the builder collects a RUN's output) cannot lose its reader
    if (typeof stream.on !== 'function') continue;
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code !== 'EPIPE' && err.code !== 'EIO') return; // the program's own handler reports it
      if (gone.has(stream)) return;
      gone.add(stream);
      if (stream === io.stdout) relay.readerGone('stdout');
      if (stream === io.stderr) relay.readerGone('stderr');
    };
    stream.on('error', onError);
    listeners.push([stream, onError]);
  }
  const copyTo = (stream: NodeJS.WritableStream) => (chunk: Buffer): void => {
    writeSync(log, chunk);
    if (!gone.has(stream)) stream.write(chunk);
  };
  const relay: OutputRelay = {
    stdout: copyTo(io.stdout),
    stderr: copyTo(io.stderr),
    readerGone,
    close: () => {
      for (const [stream, onError] of listeners) stream.off('error', onError);
    },
  };
  return relay;
}
