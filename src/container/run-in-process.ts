// `tslab container run` in the foreground with tslab's own runtime and no terminal: the runtime's
// lifecycle runs in this process (src/runtime/lifecycle/in-process.ts) instead of a monitor that
// spawns `tslab-runtime create`, `start` and `delete` — three Node boots fewer. The init is our
// child, so we wait for it ourselves; no monitor is needed while we stay in the foreground.
// Same order as the monitor's: create → attach the network to the init → start → wait → delete.
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { create, kill, remove, start } from '../runtime/lifecycle/in-process.js';
import { exitStatus } from '../runtime/lifecycle/signals.js';
import { attachNetwork, releaseNetwork } from './network.js';
import type { ContainerRecord } from './record.js';
import type { OutputRelay } from './output.js';

export interface InProcessRun {
  code: number;
  /** the network could not be attached: the container was deleted, this is the error to report */
  failure?: Error;
}

// closed, not only ended: a stream destroyed when our reader went away never ends
const ended = (s: Readable | null): Promise<void> => new Promise((r) => (s && !s.closed ? s.once('close', r) : r()));

/**
 * Runs the bundle in `dir` to its end; its output goes to our stdout/stderr and the log fd.
 * `notePid` learns the init's pid (exec and pause need it). A create or start that fails prints
 * its error and ends with 255, as the monitor's does; the runtime state is gone either way.
 */
export async function runInProcess(record: ContainerRecord, dir: string, runtimeRoot: string,
  notePid: (pid: number) => void, relay: OutputRelay): Promise<InProcessRun> {
  const o = record.options;
  let created = false;
  const forward = (signal: NodeJS.Signals): void => {
    try {
      if (created) kill(runtimeRoot, record.id, signal);
    } catch {
      // already gone
    }
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward); // the terminal closed: the container hangs up too, then is cleaned up
  try {
    const init = await create({
      root: runtimeRoot, id: record.id, bundle: dir, pidFile: join(dir, 'init.pid'), stdio: [o.stdin ? 'inherit' : 'ignore', 'pipe', 'pipe'],
    });
    created = true;
    const { stdout, stderr } = init.child;
    stdout?.on('data', relay.stdout);
    stderr?.on('data', relay.stderr);
    // our reader went away: close the container's end too, so its next write fails (EPIPE; SIGPIPE
    // for any process but its init) and a program like `yes` ends as it would in a shell pipeline
    relay.readerGone = (which) => (which === 'stdout' ? stdout : stderr)?.destroy();
    notePid(init.hostPid);
    try {
      attachNetwork(record, init.hostPid);
    } catch (err) {
      releaseNetwork(record.id);
      return { code: 255, failure: new Error(`container ${record.name}: cannot attach it to network ${o.network}: ${(err as Error).message}`) };
    }
    await start(runtimeRoot, record.id);
    const { code, signal } = await init.exited;
    await Promise.all([ended(stdout), ended(stderr)]);
    return { code: exitStatus(code, signal) };
  } catch (err) {
    process.stderr.write(`tslab: ${(err as Error).message}\n`);
    return { code: 255 };
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    process.off('SIGHUP', forward);
    await remove(runtimeRoot, record.id, true).catch(() => {});
  }
}
