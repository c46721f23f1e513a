// runc-compatible error logging: stderr always; with --log FILE also one JSON line per error.
import { appendFileSync } from 'node:fs';
import { UsageError } from '../errors.js';

let logFile: string | undefined;
let logFormat: 'text' | 'json' = 'text';

export function setLog(file: string | undefined, format: string | undefined): void {
  logFile = file;
  logFormat = format === 'json' ? 'json' : 'text';
}

export function logError(message: string): void {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  if (!logFile) return;
  const time = new Date().toISOString();
  const line = logFormat === 'json'
    ? JSON.stringify({ level: 'error', msg: message, time })
    : `time="${time}" level=error msg="${message.replace(/"/g, '\\"')}"`;
  try {
    appendFileSync(logFile, line + '\n');
  } catch {
    // the log is best effort; stderr already has the message
  }
}

/** A command's failure: one line (the stack with TSLAB_DEBUG, but never for bad input), and its exit code. */
export function reportFailure(err: unknown, binName: string): void {
  const e = err as Error & { exitCode?: number };
  logError(`${binName}: ${e.message}`);
  if (process.env.TSLAB_DEBUG && !(err instanceof UsageError)) process.stderr.write(`${e.stack}\n`);
  process.exitCode = typeof e.exitCode === 'number' ? e.exitCode : 1;
}
