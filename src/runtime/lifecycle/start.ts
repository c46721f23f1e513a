// start: open exec.fifo for reading. The init, blocked opening it for writing, wakes up, sends its
// last events through it and execs; the fifo is close-on-exec, so EOF means the exec happened.
import { closeSync, constants, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tracer } from '../../tracer/tracer.js';
import { handleInitLine } from './init-lines.js';
import { ociState, processAlive, readState, stateDir, writeState, type ContainerState } from '../state.js';
import type { Spec } from '../../oci/spec.js';
import { readFileSync } from 'node:fs';
import { runHooks } from './hooks.js';

export function readSavedSpec(root: string, id: string): Spec {
  return JSON.parse(readFileSync(join(stateDir(root, id), 'config.json'), 'utf8')) as Spec;
}

/**
 * Reads the init's last events from exec.fifo until EOF. The fifo is opened non-blocking, so an
 * init that died before opening its end cannot hang us: until the writer shows up, a read returns 0
 * and we check that the init still lives.
 */
async function drainFifo(fifo: string, state: ContainerState): Promise<string | undefined> {
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  let failure: string | undefined;
  let connected = false;
  let pending = '';
  const buf = Buffer.alloc(65536);
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        connected = true;
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      if (n === 0) {
        if (connected) break;
        if (!processAlive(state.pid, state.pidStartTime)) {
          failure ??= 'the init exited at its open of exec.fifo (the step where it waits for start), before the program started';
          break;
        }
        if (Date.now() > deadline) throw new Error(`container "${state.id}": the init did not answer start within 30 s`);
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      connected = true;
      pending += buf.toString('utf8', 0, n);
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const message = handleInitLine(line);
        if (message?.msg === 'error') failure = message.error;
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
  return failure;
}

export async function startContainer(root: string, id: string): Promise<ContainerState> {
  const state = readState(root, id);
  if (state.status !== 'created') {
    throw new Error(`cannot start container "${id}": it is ${state.status}, not created`);
  }
  tracer.container = id;
  const fifo = join(stateDir(root, id), 'exec.fifo');
  const failure = await drainFifo(fifo, state);
  if (failure) {
    writeState(root, { ...state, status: 'stopped' });
    throw new Error(`container "${id}" failed to start: ${failure}`);
  }
  const running: ContainerState = { ...state, status: 'running' };
  writeState(root, running);
  tracer.point('lifecycle', 'state.running', { id, pid: state.pid }, `running ${id}`);
  const spec = readSavedSpec(root, id);
  await runHooks('poststart', spec.hooks?.poststart, ociState(running), { warnOnly: true });
  return running;
}
