// The runtime's create and run, as the commander program (commands/oci.ts) and the fast entry
// (runtime-fast.ts) both call them: one action each, so both entries do exactly the same.
import { resolve } from 'node:path';
import { createContainer } from '../runtime/lifecycle/create.js';
import { runContainer } from '../runtime/lifecycle/run.js';
import { controlFdFromEnv } from '../runtime/lifecycle/in-process.js';
import { loadBundle } from '../runtime/lifecycle/bundle.js';
import { checkConsoleSocket } from '../runtime/console.js';
import { requireRoot } from '../errors.js';

export interface CreateArgs {
  root: string;
  id: string;
  binName: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
}

export interface RunArgs extends CreateArgs {
  detach?: boolean;
  keep?: boolean;
}

export async function createFromCli(a: CreateArgs): Promise<void> {
  requireRoot(`${a.binName} create`);
  const loaded = loadBundle(a.bundle);
  checkConsoleSocket(loaded.spec, a.consoleSocket, `${a.binName} create`);
  const { init } = await createContainer({
    root: a.root, id: a.id, bundle: a.bundle, pidFile: a.pidFile && resolve(a.pidFile), controlFd: controlFdFromEnv(), loaded,
    consoleSocket: a.consoleSocket && resolve(a.consoleSocket),
  });
  init.detach();
}

/** The container's exit status (0 once it runs, with detach). */
export function runFromCli(a: RunArgs): Promise<number> {
  requireRoot(`${a.binName} run`);
  return runContainer({
    root: a.root, id: a.id, bundle: a.bundle, pidFile: a.pidFile && resolve(a.pidFile), detach: a.detach,
    keep: a.keep, controlFd: controlFdFromEnv(), consoleSocket: a.consoleSocket && resolve(a.consoleSocket),
  });
}
