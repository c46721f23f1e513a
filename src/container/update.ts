// `tslab container update`: new memory, CPU and pids limits for a running container through its
// runtime's `update --resources -` (runc's command line and JSON: the OCI LinuxResources object),
// then the record, so inspect and the next start show them.
import { spawnSync } from 'node:child_process';
import { UsageError } from '../errors.js';
import { parseSize } from '../config/config.js';
import type { Resources } from '../oci/spec.js';
import { dataRoot, refresh, runtimeFor } from './state.js';
import { saveRecord, type ContainerRecord } from './record.js';
import { runtimeEnv } from '../oci/runtime-cli.js';

export interface UpdateFlags {
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
}

export function resourcesFrom(flags: UpdateFlags): { resources: Resources; memory?: number; cpus?: number; pidsLimit?: number } {
  const resources: Resources = {};
  const out: { resources: Resources; memory?: number; cpus?: number; pidsLimit?: number } = { resources };
  if (flags.memory !== undefined) {
    const m = parseSize(flags.memory);
    if (m === undefined || m < 6 * 1024 * 1024) throw new UsageError(`--memory "${flags.memory}": give a size of at least 6m, e.g. 64m or 1g`);
    resources.memory = { limit: m };
    out.memory = m;
  }
  if (flags.cpus !== undefined) {
    const c = Number(flags.cpus);
    if (!Number.isFinite(c) || c <= 0) throw new UsageError(`--cpus "${flags.cpus}": give a positive number such as 0.5 or 2`);
    resources.cpu = { quota: Math.round(c * 100_000), period: 100_000 };
    out.cpus = c;
  }
  if (flags.pidsLimit !== undefined) {
    const p = Number(flags.pidsLimit);
    if (!Number.isInteger(p) || p === 0 || p < -1) throw new UsageError(`--pids-limit "${flags.pidsLimit}": give a positive whole number (or -1 for no limit)`);
    resources.pids = { limit: p };
    out.pidsLimit = p;
  }
  if (Object.keys(resources).length === 0) throw new UsageError('give at least one of --memory, --cpus, --pids-limit');
  return out;
}

export function updateContainer(record: ContainerRecord, flags: UpdateFlags): void {
  const wanted = resourcesFrom(flags);
  refresh(record);
  if (record.state.status !== 'running' && record.state.status !== 'paused') {
    throw new UsageError(`container ${record.name} is not running (${record.state.status}): start it first, its limits live in its cgroup`);
  }
  const runtime = runtimeFor(record);
  const r = spawnSync(runtime.path, runtime.args('update', '--resources', '-', record.id), {
    input: JSON.stringify(wanted.resources), encoding: 'utf8', env: runtimeEnv(),
  });
  if (r.error) throw new Error(`cannot run the runtime ${runtime.path}: ${r.error.message}`);
  if (r.status !== 0) {
    const msg = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
    throw new UsageError(`the runtime ${runtime.path} refused the update: ${msg.replace(/^time="[^"]*" level=error msg="?/, '').replace(/"$/, '')}`);
  }
  const o = record.options;
  if (wanted.memory !== undefined) o.memory = wanted.memory;
  if (wanted.cpus !== undefined) o.cpus = wanted.cpus;
  if (wanted.pidsLimit !== undefined) o.pidsLimit = wanted.pidsLimit;
  saveRecord(dataRoot(), record);
}
