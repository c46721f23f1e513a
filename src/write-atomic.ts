// Readers of our state, records and indexes may look at any moment, from another process: a file
// is written beside its final name and renamed over it, so they see the old content or the new,
// never a part.
import { chownSync, closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export interface AtomicWriteOptions {
  /** permission bits of a new file (default 0o666 less the umask) */
  mode?: number;
  /** flush the data to disk before the rename (blobs and indexes that must survive a crash) */
  durable?: boolean;
  /** give the file to this user before it appears (files in a user's home written as root) */
  owner?: { uid: number; gid: number };
}

export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  // pid and a random part: two processes, or two threads of one, may write the same file at once
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    const fd = openSync(tmp, 'w', options.mode ?? 0o666);
    try {
      writeFileSync(fd, data); // loops until all is written
      if (options.durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (options.owner) chownSync(tmp, options.owner.uid, options.owner.gid);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
