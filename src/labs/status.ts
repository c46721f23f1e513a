// Which labs are running now and their containers: each run writes status.json into its scratch
// folder (next to owner.json) once a container has started, so a second terminal can find them
// (`tslab lab status`, `tslab lab shell LAB [CONTAINER]`).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { processAlive } from '../runtime/proc.js';
import { writeFileAtomic } from '../write-atomic.js';

/** The prefix of every lab run's container ids, cgroups and scratch folders, unless one is given. */
export const DEFAULT_PREFIX = 'tslab-lab-';

export interface RunStatus {
  lab: string;
  title: string;
  containers: Array<{ name: string; id: string; pid: number }>;
}

export interface RunningLab extends RunStatus {
  dir: string;
  /** the runner's pid */
  runner: number;
}

const STATUS = 'status.json';

export function writeRunStatus(scratch: string, status: RunStatus): void {
  writeFileAtomic(join(scratch, STATUS), JSON.stringify(status));
}

/** Lab runs with this prefix whose runner is alive, with the containers that still run. */
export function runningLabs(prefix: string): RunningLab[] {
  const found: RunningLab[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const dir = join(tmpdir(), name);
    try {
      if (!existsSync(join(dir, STATUS))) continue;
      const owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as { pid: number };
      if (!processAlive(owner.pid)) continue;
      const status = JSON.parse(readFileSync(join(dir, STATUS), 'utf8')) as RunStatus;
      found.push({ ...status, containers: status.containers.filter((c) => c.pid > 0 && processAlive(c.pid)), dir, runner: owner.pid });
    } catch {
      // a run that is just starting or ending: not ours to show
    }
  }
  return found;
}

/** The container a student means: `LAB [CONTAINER]` among the running labs. */
export function findLabContainer(prefix: string, lab: string, container?: string): { run: RunningLab; pid: number; name: string } {
  const wanted = lab.replace(/^\.?\/?labs\//, '').replace(/\/+$/, '');
  const runs = runningLabs(prefix).filter((r) => r.lab === wanted || r.lab.endsWith(`/${wanted}`));
  if (runs.length === 0) throw new UsageError(`no running lab "${lab}" (tslab lab status lists the running labs; start one with tslab run ${lab})`);
  if (runs.length > 1) throw new UsageError(`"${lab}" runs ${runs.length} times (runners ${runs.map((r) => r.runner).join(', ')}): stop the others`);
  const run = runs[0]!;
  const c = container ? run.containers.find((x) => x.name === container) : run.containers[0];
  if (!c) {
    throw new UsageError(container
      ? `lab ${run.lab} has no running container "${container}" (it has: ${run.containers.map((x) => x.name).join(', ') || 'none yet'})`
      : `lab ${run.lab} has no running container yet`);
  }
  return { run, pid: c.pid, name: c.name };
}
