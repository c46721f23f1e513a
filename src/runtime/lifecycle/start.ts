// start: open exec.fifo for reading. The init, blocked opening it for writing, wakes up, sends its
// last events through it and execs; the fifo is close-on-exec, so EOF means the exec happened.
import { closeSync, constants, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tracer } from '../../tracer/tracer.js';
import { isTraceEvent, type TraceEvent } from '../../tracer/event.js';
import { ociState, readState, stateDir, writeState, type ContainerState } from '../state.js';
import type { Spec } from '../../oci/spec.js';
import { readFileSync } from 'node:fs';
import { runHooks } from './hooks.js';

export function readSavedSpec(root: string, id: string): Spec {
  return JSON.parse(readFileSync(join(stateDir(root, id), 'config.json'), 'utf8')) as Spec;
}

export async function startContainer(root: string, id: string): Promise<ContainerState> {
  const state = readState(root, id);
  if (state.status !== 'created') {
    throw new Error(`cannot start container "${id}": it is ${state.status}, not created`);
  }
  tracer.container = id;
  const fifo = join(stateDir(root, id), 'exec.fifo');
  // Open without blocking first: if the init died, a blocking open would wait forever.
  const probe = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const fd = openSync(fifo, constants.O_RDONLY);
  closeSync(probe);
  let failure: string | undefined;
  try {
    let pending = '';
    const buf = Buffer.alloc(65536);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      pending += buf.toString('utf8', 0, n);
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue;
        }
        if (isTraceEvent(parsed)) {
          const e = parsed as TraceEvent;
          tracer.relay(e.pid !== state.pid ? { ...e, nspid: e.pid, pid: state.pid } : e);
        } else if ((parsed as { msg?: string }).msg === 'error') {
          failure = (parsed as { error: string }).error;
        }
      }
    }
  } finally {
    closeSync(fd);
    try {
      unlinkSync(fifo);
    } catch {
      // already gone
    }
  }
  if (failure) {
    writeState(root, { ...state, status: 'stopped' });
    throw new Error(`container "${id}" failed to start: ${failure}`);
  }
  const running: ContainerState = { ...state, status: 'running' };
  writeState(root, running);
  tracer.point('lifecycle', 'state.running', { id, pid: state.pid }, `running ${id}`);
  const spec = readSavedSpec(root, id);
  await runHooks('poststart', spec.hooks?.poststart, ociState(running));
  return running;
}
