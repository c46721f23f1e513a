// update: change a running container's limits, as `runc update` does (docker update and containerd's
// task update call it with `--resources -`). The same JSON (runtime-spec linux.resources) or runc's
// flags; a zero or missing value leaves the limit as it is, as in runc. The new limits are written
// into the container's cgroup and kept in its saved config.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { parseSize } from '../../config/config.js';
import type { CpuResources, MemoryResources, Resources } from '../../oci/spec.js';
import { cgroupManager } from '../cgroups/index.js';
import { readState, stateDir } from '../state.js';
import { unappliedLimits } from './bundle.js';
import { readSavedSpec } from './start.js';

/** runc update's flags, as strings from the command line. */
export interface UpdateFlags {
  resources?: string;
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuShare?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
}

function integer(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--${flag} "${value}": give a whole number`);
  return Number(value);
}

/** runc's memory flags: bytes with an optional binary unit (64m, 1g), or -1 for unlimited. */
function bytes(flag: string, value: string): number {
  if (value.trim() === '-1') return -1;
  const n = parseSize(value);
  if (n === undefined) throw new UsageError(`--${flag} "${value}": give bytes, e.g. 67108864 or 64m (-1 for unlimited)`);
  return n;
}

/** The resources runc's flags describe (with --resources, runc ignores the flags: so do we). */
export function resourcesFromFlags(f: UpdateFlags): Resources {
  const memory: MemoryResources = {};
  const cpu: CpuResources = {};
  const res: Resources = { memory, cpu };
  if (f.memory !== undefined) memory.limit = bytes('memory', f.memory);
  if (f.memoryReservation !== undefined) memory.reservation = bytes('memory-reservation', f.memoryReservation);
  if (f.memorySwap !== undefined) memory.swap = bytes('memory-swap', f.memorySwap);
  if (f.cpuShare !== undefined) cpu.shares = integer('cpu-share', f.cpuShare);
  if (f.cpuQuota !== undefined) cpu.quota = integer('cpu-quota', f.cpuQuota);
  if (f.cpuPeriod !== undefined) cpu.period = integer('cpu-period', f.cpuPeriod);
  if (f.cpuRtPeriod !== undefined) cpu.realtimePeriod = integer('cpu-rt-period', f.cpuRtPeriod);
  if (f.cpuRtRuntime !== undefined) cpu.realtimeRuntime = integer('cpu-rt-runtime', f.cpuRtRuntime);
  if (f.cpusetCpus) cpu.cpus = f.cpusetCpus;
  if (f.cpusetMems) cpu.mems = f.cpusetMems;
  if (f.pidsLimit !== undefined) res.pids = { limit: integer('pids-limit', f.pidsLimit) };
  if (f.blkioWeight !== undefined) res.blockIO = { weight: integer('blkio-weight', f.blkioWeight) };
  return res;
}

export function resourcesFromJson(text: string, from: string): Resources {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--resources ${from}: not valid JSON (${(err as Error).message}): give linux.resources as runc update takes it`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`--resources ${from}: give a JSON object such as {"memory": {"limit": 67108864}}`);
  }
  return parsed as Resources;
}

/** Only the values that change something: zero and empty mean "leave it", as in runc. */
export function changedLimits(res: Resources): Resources {
  const nonZero = <T extends object>(o: T | undefined): Partial<T> | undefined => {
    if (!o) return undefined;
    const kept = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0 && v !== '' && v !== null && v !== undefined)) as Partial<T>;
    return Object.keys(kept).length > 0 ? kept : undefined;
  };
  const out: Resources = {};
  const memory = nonZero(res.memory);
  const cpu = nonZero(res.cpu);
  if (memory) out.memory = memory;
  if (cpu) out.cpu = cpu;
  if (res.pids && res.pids.limit !== 0) out.pids = { limit: res.pids.limit };
  if (res.unified && Object.keys(res.unified).length > 0) out.unified = res.unified;
  return out;
}

export async function updateContainer(root: string, id: string, res: Resources): Promise<void> {
  const unsupported = unappliedLimits(res);
  if (unsupported.length > 0) throw new UsageError(`update: ${unsupported[0]}: tslab does not apply this limit yet; leave it out or use runc`);
  for (const [key, v] of [['memory', res.memory], ['cpu', res.cpu], ['pids', res.pids]] as const) {
    if (v !== undefined && (typeof v !== 'object' || v === null)) throw new UsageError(`update: "${key}" must be an object, as in linux.resources`);
  }
  const state = readState(root, id);
  if (state.status === 'stopped') throw new Error(`cannot update container "${id}": it is stopped`);
  const changes = changedLimits(res);
  cgroupManager(state.cgroupPath).apply(changes);
  // Kept with the container, as runc keeps them: what `state`/engines read back is the new limit.
  const spec = readSavedSpec(root, id);
  const saved = spec.linux?.resources ?? {};
  const merged: Resources = {
    ...saved,
    ...(changes.memory ? { memory: { ...saved.memory, ...changes.memory } } : {}),
    ...(changes.cpu ? { cpu: { ...saved.cpu, ...changes.cpu } } : {}),
    ...(changes.pids ? { pids: changes.pids } : {}),
    ...(changes.unified ? { unified: { ...saved.unified, ...changes.unified } } : {}),
  };
  spec.linux = { ...spec.linux, resources: merged };
  writeFileSync(join(stateDir(root, id), 'config.json'), JSON.stringify(spec));
}

/** `--resources FILE` or `-` (standard input). */
export function readResourcesArgument(path: string): Resources {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new UsageError(`--resources ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return resourcesFromJson(text, path === '-' ? '(standard input)' : path);
}
