// One writer at a time for index.json and garbage collection, across tslab processes.
// The lock file holds the owner's PID, so a lock left by a killed process is taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { processAlive } from '../runtime/proc.js';


export async function withFileLock<T>(path: string, fn: () => T | Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(path, 'utf8'));
      } catch {
        continue;
      }
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !processAlive(owner)) {
        try {
          unlinkSync(path);
        } catch {
          // another waiter took it over first
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${path} held by PID ${owner}`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}
