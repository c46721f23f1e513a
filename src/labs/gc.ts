// Leftovers of lab runs whose runner died (killed, out of memory): each run's scratch folder says
// who owned it and which runtime it used, so a later run can delete its containers, unmount its
// overlays and remove the folder.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeCli, sweepContainers } from '../container/index.js';
import { processAlive, processStartTime } from '../runtime/proc.js';

const OWNER = 'owner.json';

export interface Owner {
  pid: number;
  /** the owner's start time (field 22 of /proc/<pid>/stat), so a reused pid is not taken for it */
  start: string;
  runtime: string;
}

export function writeOwner(scratch: string, runtime: string): void {
  const owner: Owner = { pid: process.pid, start: processStartTime(process.pid) ?? '', runtime };
  writeFileSync(join(scratch, OWNER), JSON.stringify(owner));
}

function ownerAlive(owner: Owner): boolean {
  return processAlive(owner.pid, owner.start);
}

/** Cleans up every scratch folder of `prefix` whose runner is gone; returns what it removed. */
export async function collectStaleRuns(prefix: string): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(prefix));
  } catch {
    return removed;
  }
  for (const name of names) {
    const scratch = join(tmpdir(), name);
    let owner: Owner;
    try {
      owner = JSON.parse(readFileSync(join(scratch, OWNER), 'utf8')) as Owner;
    } catch {
      continue; // not a lab scratch folder, or one being set up right now
    }
    if (ownerAlive(owner)) continue;
    const state = join(scratch, 'state');
    const runtime = existsSync(state) && existsSync(owner.runtime) ? new RuntimeCli(owner.runtime, state, { env: process.env }) : undefined;
    await sweepContainers(scratch, runtime);
    rmSync(scratch, { recursive: true, force: true });
    removed.push(scratch);
  }
  return removed;
}
