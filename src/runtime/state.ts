// Container state on disk: <root>/<id>/state.json. The status is derived from the init process when
// read, so a container whose process died (kill -9, a crash) reads as stopped.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../write-atomic.js';
import { OCI_VERSION } from '../oci/spec.js';
import { cgroupManager } from './cgroups/index.js';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export const DEFAULT_ROOT = '/run/tslab';

export interface ContainerState {
  ociVersion: string;
  id: string;
  status: Status;
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
  /** tslab's own fields (not in the OCI state) */
  created: string;
  pidStartTime?: string;
  cgroupPath: string;
  /** cgroup directories that already held processes at create: never signalled nor removed by us */
  cgroupPreexisting?: string[];
  rootfs: string;
  paused?: boolean;
}

export class NotFoundError extends Error {
  readonly exitCode = 1;
  constructor(id: string) {
    super(`container "${id}" does not exist`);
  }
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

export function checkId(id: string): void {
  if (!ID_PATTERN.test(id) || id.length > 1024) {
    throw new Error(`invalid container id "${id}": use letters, digits and _ . + - (not starting with a symbol)`);
  }
}

export function stateDir(root: string, id: string): string {
  return join(root, id);
}

import { processAlive } from './proc.js';

export { processAlive, processStartTime } from './proc.js';

export function writeState(root: string, state: ContainerState): void {
  writeFileAtomic(join(stateDir(root, state.id), 'state.json'), JSON.stringify(state, null, 2));
}

export function readState(root: string, id: string): ContainerState {
  checkId(id);
  const file = join(stateDir(root, id), 'state.json');
  if (!existsSync(file)) throw new NotFoundError(id);
  const state = JSON.parse(readFileSync(file, 'utf8')) as ContainerState;
  return refreshStatus(state, root);
}

/** Running/created only while the init lives; a created container's init waits on exec.fifo. */
export function refreshStatus(state: ContainerState, root: string): ContainerState {
  if (state.status === 'stopped' || state.status === 'creating') return state;
  if (!processAlive(state.pid, state.pidStartTime)) return { ...state, status: 'stopped' };
  if (state.status === 'created' && !existsSync(join(stateDir(root, state.id), 'exec.fifo'))) {
    return { ...state, status: 'running' };
  }
  // frozen by `pause`, or by anyone who wrote freezer.state / cgroup.freeze: paused all the same
  if (state.paused || (state.cgroupPath && cgroupManager(state.cgroupPath).isFrozen())) return { ...state, status: 'paused' };
  return state;
}

export function listStates(root: string): ContainerState[] {
  if (!existsSync(root)) return [];
  const out: ContainerState[] = [];
  for (const id of readdirSync(root)) {
    try {
      out.push(readState(root, id));
    } catch {
      // a folder being created or removed right now
    }
  }
  return out;
}

/** The OCI state JSON (runtime-spec "state" operation). */
export function ociState(state: ContainerState): Record<string, unknown> {
  return {
    ociVersion: OCI_VERSION,
    id: state.id,
    status: state.status,
    pid: state.status === 'stopped' ? 0 : state.pid,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
    ...(state.annotations && Object.keys(state.annotations).length > 0 ? { annotations: state.annotations } : {}),
  };
}

export function ensureRoot(root: string): void {
  mkdirSync(root, { recursive: true, mode: 0o711 });
}
