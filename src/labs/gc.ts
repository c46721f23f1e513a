// Leftovers of lab runs whose runner died (killed, out of memory): each run's scratch folder says
// who owned it, which runtime it used and which containers it made, so a later run can delete its
// containers, unmount its overlays and remove the folder. What outlives even that (the runtime's
// state or the whole folder gone, a lab paused when its runner died) is found by name: the runner
// names every container, its cgroup and its scratch folder with the run's prefix.
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { RuntimeCli, sweepContainers } from '../container/index.js';
import { releaseNetwork } from '../container/network.js';
import { processAlive, processStartTime } from '../runtime/proc.js';
import { cgroupsNamed, reapCgroups } from '../runtime/cgroups/reap.js';
import { mountPointsBelow, readMountinfo } from '../runtime/mountinfo.js';
import { MNT, sys } from '../runtime/sys/index.js';

const OWNER = 'owner.json';
/** the ids of the run's containers, one a line, each written before its create */
const CONTAINERS = 'containers';

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

/** Notes a container id before its create: a gc meanwhile leaves what a live run is making. */
export function noteContainer(scratch: string, id: string): void {
  appendFileSync(join(scratch, CONTAINERS), `${id}\n`);
}

function readOwner(scratch: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(join(scratch, OWNER), 'utf8')) as Owner;
  } catch {
    return undefined; // not a lab scratch folder, or one being set up right now
  }
}

function scratchFolders(prefix: string): string[] {
  try {
    return readdirSync(tmpdir()).filter((n) => n.startsWith(prefix)).map((n) => join(tmpdir(), n));
  } catch {
    return [];
  }
}

/** The container ids of runs whose runner lives (read after the cgroups were listed: a newer one is noted first). */
function liveContainerIds(prefix: string): Set<string> {
  const ids = new Set<string>();
  for (const scratch of scratchFolders(prefix)) {
    const owner = readOwner(scratch);
    if (!owner || !ownerAlive(owner)) continue;
    try {
      for (const id of readFileSync(join(scratch, CONTAINERS), 'utf8').split('\n')) if (id) ids.add(id);
    } catch {
      // no container yet
    }
  }
  return ids;
}

/** Scratch folders whose runner lives, or that are being set up (no owner yet, so no mount yet either). */
function liveScratch(prefix: string): string[] {
  return scratchFolders(prefix).filter((scratch) => {
    const owner = readOwner(scratch);
    return owner === undefined ? !mountPointsBelow(scratch).length : ownerAlive(owner);
  });
}

/**
 * What dead runs left without a folder to say so: cgroups named with the prefix (frozen ones are
 * thawed, their processes killed, the veths going with their network namespaces), and overlay
 * mounts below a prefix folder no live runner owns. Returns one line for each thing removed.
 */
async function collectOrphans(prefix: string): Promise<string[]> {
  const removed: string[] = [];
  const cgroups = cgroupsNamed(prefix);
  const live = liveContainerIds(prefix);
  const stale = cgroups.filter((dir) => !live.has(basename(dir)));
  const problems = await reapCgroups(stale);
  for (const problem of problems) process.stderr.write(`tslab: ${problem}\n`);
  for (const dir of stale) if (!problems.some((p) => p.startsWith(`cgroup ${dir} `))) removed.push(`cgroup ${dir}`);
  for (const id of new Set(stale.map((dir) => basename(dir)))) {
    try {
      releaseNetwork(id); // its lease, rules and files; the veth died with the netns
    } catch {
      // no network, or not ours to release
    }
  }
  const keep = liveScratch(prefix);
  const base = join(tmpdir(), prefix);
  const mounts = readMountinfo().map((m) => m.mountPoint).filter((p) => p.startsWith(base) && !keep.some((k) => p === k || p.startsWith(`${k}/`)));
  for (const point of mounts.sort((a, b) => b.length - a.length)) {
    try {
      sys.umount2(point, MNT.MNT_DETACH);
      removed.push(`mount ${point}`);
    } catch {
      // already gone
    }
  }
  return removed;
}

/**
 * Cleans up every scratch folder of `prefix` whose runner is gone, then whatever dead runs left
 * outside one; returns what it removed (scratch folders, and `cgroup …`/`mount …` lines).
 */
export async function collectStaleRuns(prefix: string): Promise<string[]> {
  const removed: string[] = [];
  for (const scratch of scratchFolders(prefix)) {
    const owner = readOwner(scratch);
    if (!owner || ownerAlive(owner)) continue;
    const state = join(scratch, 'state');
    const runtime = existsSync(state) && existsSync(owner.runtime) ? new RuntimeCli(owner.runtime, state, { env: process.env }) : undefined;
    await sweepContainers(scratch, runtime);
    rmSync(scratch, { recursive: true, force: true });
    removed.push(scratch);
  }
  removed.push(...await collectOrphans(prefix));
  return removed;
}
