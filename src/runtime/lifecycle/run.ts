// run: create, start, wait in the foreground passing signals on, delete; exit with the container's
// code (128+N when signal N killed it). With --detach: create and start, then return.
import { constants } from 'node:os';
import { tracer } from '../../tracer/tracer.js';
import { createContainer, type CreateOptions } from './create.js';
import { startContainer } from './start.js';
import { deleteContainer } from './delete.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function runContainer(options: CreateOptions & { detach?: boolean; keep?: boolean }): Promise<number> {
  const { state, init } = await createContainer(options);
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
