// The runtime calls an engine makes again and again on a container (state, start, kill, delete,
// pause, resume): one action each, shared by the commander program (commands/oci.ts) and the fast
// entry (runtime-fast.ts) that runs them without loading the rest of the runtime.
import { ociState, readState, writeState } from '../runtime/state.js';
import { startContainer } from '../runtime/lifecycle/start.js';
import { killContainer, parseSignal } from '../runtime/lifecycle/kill.js';
import { deleteContainer } from '../runtime/lifecycle/delete.js';
import { cgroupManager } from '../runtime/cgroups/index.js';
import { requireRoot } from '../errors.js';
import { tracer } from '../tracer/tracer.js';

export const HOT_CALLS = ['state', 'start', 'kill', 'delete', 'pause', 'resume'] as const;
export type HotCall = typeof HOT_CALLS[number];

export interface CallArgs {
  root: string;
  id: string;
  binName: string;
  signal?: string;
  all?: boolean;
  force?: boolean;
}

export async function runCall(call: HotCall, a: CallArgs): Promise<void> {
  if (call !== 'state') requireRoot(`${a.binName} ${call}`);
  switch (call) {
    case 'state':
      process.stdout.write(JSON.stringify(ociState(readState(a.root, a.id)), null, 2) + '\n');
      return;
    case 'start':
      await startContainer(a.root, a.id);
      return;
    case 'kill':
      return killContainer(a.root, a.id, parseSignal(a.signal), a.all);
    case 'delete':
      return deleteContainer(a.root, a.id, a.force ?? false);
    case 'pause': {
      const state = readState(a.root, a.id);
      if (state.status !== 'running') throw new Error(`container "${a.id}" is ${state.status}: container not running`);
      await cgroupManager(state.cgroupPath).freeze();
      writeState(a.root, { ...state, paused: true });
      tracer.point('lifecycle', 'state.paused', { id: a.id }, `paused ${a.id}`);
      return;
    }
    case 'resume': {
      const state = readState(a.root, a.id);
      if (state.status !== 'paused') throw new Error(`container "${a.id}" is ${state.status}, not paused`);
      await cgroupManager(state.cgroupPath).thaw();
      writeState(a.root, { ...state, paused: false, status: 'running' });
      tracer.point('lifecycle', 'state.resumed', { id: a.id }, `resumed ${a.id}`);
    }
  }
}
