// What a student has done: one JSON file per user in the XDG state directory
// ($XDG_STATE_HOME/tslab, else ~/.local/state/tslab). Labs run as root (sudo), so under sudo the
// file belongs to the invoking user (SUDO_UID) and lives in their home: `tslab lab list` then reads
// it without root.
import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../write-atomic.js';

export interface LabProgress {
  /** ISO time of the first run in which every check passed */
  completed: string;
  runtime: string;
}

export interface Progress {
  labs: Record<string, LabProgress>;
}

interface Owner { uid: number; gid: number; home: string }

/** The user a sudo'ed tslab acts for (their uid, gid and home from /etc/passwd), else undefined. */
function sudoUser(env: NodeJS.ProcessEnv): Owner | undefined {
  const uid = Number(env.SUDO_UID);
  if (!env.SUDO_UID || !Number.isInteger(uid) || uid === 0) return undefined;
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (Number(f[2]) === uid && f[5]) return { uid, gid: Number(env.SUDO_GID ?? f[3]), home: f[5] };
    }
  } catch {
    // no passwd: fall back to our own home
  }
  return undefined;
}

export function progressFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(sudoUser(env)?.home ?? homedir(), '.local', 'state');
  return join(base, 'tslab', 'progress.json');
}

export function readProgress(env: NodeJS.ProcessEnv = process.env): Progress {
  const file = progressFile(env);
  if (!existsSync(file)) return { labs: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Progress>;
    return { labs: parsed.labs ?? {} };
  } catch {
    return { labs: {} }; // a damaged file loses the record, never the lab
  }
}

/** Records a lab as completed (the first time only), as the invoking user when under sudo. */
export function markCompleted(labId: string, runtime: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = progressFile(env);
  const progress = readProgress(env);
  if (progress.labs[labId]) return;
  progress.labs[labId] = { completed: new Date().toISOString(), runtime };
  const owner = sudoUser(env);
  // create each missing folder as the user, so ~/.local/state stays theirs
  const missing: string[] = [];
  for (let d = dirname(file); !existsSync(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    mkdirSync(d, { mode: 0o755 });
    if (owner) chownSync(d, owner.uid, owner.gid);
  }
  writeFileAtomic(file, `${JSON.stringify(progress, null, 2)}\n`, { mode: 0o644, owner });
}
