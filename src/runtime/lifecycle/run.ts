// run: create, start, wait in the foreground passing signals on, delete; exit with the container's
// code (128+N when signal N killed it). With --detach: create and start, then return.
import { tracer } from '../../tracer/tracer.js';
import { createContainer, type CreateOptions } from './create.js';
import { startContainer } from './start.js';
import { deleteContainer } from './delete.js';
import { loadBundle } from './bundle.js';
import { closeQuietly, relayPty } from '../terminal.js';
import { sys } from '../sys/index.js';
import { checkConsoleSocket } from '../console.js';
import { exitStatus, forwardSignals } from './signals.js';

/**
 * Foreground run with a pseudo-terminal: the init makes it in the container's devpts and hands the
 * master back over a socketpair; we relay between our terminal and the master.
 */
async function runWithPty(options: CreateOptions & { keep?: boolean }): Promise<number> {
  const [ours, theirs] = sys.socketpair('socketpair: the init hands the pty master back on it');
  let theirsOpen = true;
  const closeTheirs = (): void => {
    // once only: a second close could hit an fd number reused meanwhile
    if (theirsOpen) closeQuietly(theirs);
    theirsOpen = false;
  };
  let relay: ReturnType<typeof relayPty> | undefined;
  try {
    const { state, init } = await createContainer({ ...options, consoleFd: theirs, startsItself: true });
    closeTheirs();
    const master = sys.recvFd(ours, 'recvmsg: the pty master from the init (SCM_RIGHTS)').fd;
    // keys (Ctrl-C too) reach the container through the pty; only what is sent to us goes on
    const stopForwarding = forwardSignals(state.pid, ['SIGTERM', 'SIGHUP']);
    try {
      relay = relayPty(master);
      await startContainer(options.root, options.id);
      const { code, signal } = await init.exited;
      await Promise.race([relay.done, new Promise((r) => setTimeout(r, 200))]);
      const status = exitStatus(code, signal);
      tracer.point('lifecycle', 'state.stopped', { id: options.id, exitCode: status }, `stopped ${options.id} (exit ${status})`);
      return status;
    } finally {
      stopForwarding();
      if (!options.keep) await deleteContainer(options.root, options.id, true);
    }
  } finally {
    relay?.close();
    closeTheirs();
    closeQuietly(ours);
  }
}

export async function runContainer(options: CreateOptions & { detach?: boolean; keep?: boolean }): Promise<number> {
  const loaded = options.loaded ?? loadBundle(options.bundle);
  if (loaded.spec.process?.terminal && !options.consoleSocket) {
    if (options.detach) {
      throw new Error('process.terminal is true but a detached run has nobody to hold the terminal: pass --console-socket, set it to false, or run in the foreground');
    }
    return runWithPty({ ...options, loaded });
  }
  // with --console-socket the engine holds the terminal: create hands it over, the rest is as without one
  checkConsoleSocket(loaded.spec, options.consoleSocket, 'run');
  const { state, init } = await createContainer({ ...options, loaded, startsItself: true });
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
  const stopForwarding = forwardSignals(state.pid);
  try {
    await startContainer(options.root, options.id);
    const { code, signal } = await init.exited;
    const status = exitStatus(code, signal);
    tracer.point('lifecycle', 'state.stopped', { id: options.id, exitCode: status }, `stopped ${options.id} (exit ${status})`);
    return status;
  } finally {
    stopForwarding();
    if (!options.keep) await deleteContainer(options.root, options.id, true);
  }
}
