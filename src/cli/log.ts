// runc-compatible error logging: stderr always; with --log FILE also one JSON line per error.
import { appendFileSync } from 'node:fs';

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
