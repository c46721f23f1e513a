// The runtime's lifecycle called in-process: what a front-end (`tslab container run`, the runtime
// client) calls instead of spawning bin/tslab-runtime for each of create, start, kill, delete and
// state. These are the functions the runtime's commands call (src/cli/commands/oci.ts), so the same
// steps are traced and the same --step gates stop them; only the Node boots between them are gone.
// The init is this process's child: the caller waits for it (`init.exited`) and needs no monitor.
import { resolve } from 'node:path';
import { createContainer, type SpawnStdio } from './create.js';
import { startContainer } from './start.js';
import { deleteContainer } from './delete.js';
import { killContainer, parseSignal } from './kill.js';
import { loadBundle } from './bundle.js';
import type { RunningInit } from './spawn-init.js';
import { checkConsoleSocket } from '../console.js';
import { ociState, readState } from '../state.js';
import { requireRoot } from '../../errors.js';

/** Under a TUI stepping through the run, the init waits at the same gate (TSLAB_CONTROL_FD). */
export function controlFdFromEnv(): number | undefined {
  const v = process.env.TSLAB_CONTROL_FD;
  return v && /^\d+$/.test(v) ? Number(v) : undefined;
}

export interface InProcessCreate {
  /** the runtime's state root (its --root) */
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  /** the init's stdin, stdout, stderr, which the program inherits ('pipe': read them from init.child; a number: that fd) */
  stdio?: SpawnStdio;
}

/**
 * `create` (no terminal: a terminal needs the runtime's `run` or a console socket). The caller
 * starts the container in this process too, so an init nobody traces or steps sends no events.
 */
export async function create(o: InProcessCreate): Promise<RunningInit> {
  requireRoot('creating a container');
  const loaded = loadBundle(o.bundle);
  checkConsoleSocket(loaded.spec, undefined, 'create');
  const { init } = await createContainer({
    root: resolve(o.root), id: o.id, bundle: o.bundle, pidFile: o.pidFile && resolve(o.pidFile), controlFd: controlFdFromEnv(), loaded, stdio: o.stdio,
    // the front-end starts it in this process (start below)
    startsItself: true,
  });
  return init;
}

export async function start(root: string, id: string): Promise<void> {
  await startContainer(resolve(root), id);
}

/** `kill ID SIGNAL`: SIGTERM, TERM or 15. */
export function kill(root: string, id: string, signal: string): void {
  killContainer(resolve(root), id, parseSignal(signal.replace(/^SIG/i, '')));
}

/** `delete [--force]`. */
export async function remove(root: string, id: string, force: boolean): Promise<void> {
  await deleteContainer(resolve(root), id, force);
}

/** `state`: the OCI state, or undefined when there is no such container. */
export function state(root: string, id: string): { status: string; pid?: number } | undefined {
  try {
    return ociState(readState(resolve(root), id)) as { status: string; pid?: number };
  } catch {
    return undefined;
  }
}
