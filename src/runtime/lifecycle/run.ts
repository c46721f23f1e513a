// run: create, start, wait in the foreground passing signals on, delete; exit with the container's
// code (128+N when signal N killed it). With --detach: create and start, then return.
import { constants } from 'node:os';
import { tracer } from '../../tracer/tracer.js';
import { createContainer, type CreateOptions } from './create.js';
import { startContainer } from './start.js';
import { deleteContainer } from './delete.js';
import { loadBundle } from './bundle.js';
import { closeQuietly, openPty, relayPty } from '../terminal.js';

/** Foreground run with a pseudo-terminal: the container's stdio is the pty slave. */
async function runWithPty(options: CreateOptions & { keep?: boolean }): Promise<number> {
  const pty = openPty();
  let relay: ReturnType<typeof relayPty> | undefined;
  let slaveOpen = true;
  const closeSlave = (): void => {
    // once only: a second close could hit an fd number reused meanwhile
    if (slaveOpen) closeQuietly(pty.slave);
    slaveOpen = false;
  };
  try {
    const { state, init } = await createContainer({ ...options, stdio: [pty.slave, pty.slave, pty.slave] });
    const forward = (signal: NodeJS.Signals): void => {
      try {
        process.kill(state.pid, signal);
      } catch {
        // exited
      }
    };
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    try {
      closeSlave();
      relay = relayPty(pty);
      await startContainer(options.root, options.id);
      const { code, signal } = await init.exited;
      await Promise.race([relay.done, new Promise((r) => setTimeout(r, 200))]);
      const status = signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 0);
      tracer.point('lifecycle', 'state.stopped', { id: options.id, exitCode: status }, `stopped ${options.id} (exit ${status})`);
      return status;
    } finally {
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
      if (!options.keep) await deleteContainer(options.root, options.id, true);
    }
  } finally {
    relay?.close();
    closeSlave();
  }
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function runContainer(options: CreateOptions & { detach?: boolean; keep?: boolean }): Promise<number> {
  const loaded = options.loaded ?? loadBundle(options.bundle);
  if (loaded.spec.process?.terminal) {
    if (options.detach) {
      throw new Error('process.terminal is true but a detached run has nobody to hold the terminal: set it to false, or run in the foreground');
    }
    return runWithPty({ ...options, loaded });
  }
  const { state, init } = await createContainer({ ...options, loaded });
  if (options.detach) {
    try {
      await startContainer(options.root, options.id);
    } catch (err) {
      await deleteContainer(options.root, options.id, true);
      throw err;
    }
    init.detach();
    return 0;
  }
  const forward = (signal: NodeJS.Signals): void => {
    try {
      process.kill(state.pid, signal);
    } catch {
      // it already exited
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    await startContainer(options.root, options.id);
    const { code, signal } = await init.exited;
    const status = signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 0);
    tracer.point('lifecycle', 'state.stopped', { id: options.id, exitCode: status }, `stopped ${options.id} (exit ${status})`);
    return status;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
    if (!options.keep) await deleteContainer(options.root, options.id, true);
  }
}
