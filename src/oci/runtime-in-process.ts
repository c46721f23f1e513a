// Our runtime's create, start, delete and state for the runtime client (runtime-cli.ts), called in
// this process instead of a Node boot of bin/tslab-runtime each: the same lifecycle functions its
// commands call (src/runtime/lifecycle), so the same steps run and are traced. The client's contract
// stays the command line's: a RunResult (code 0, or 1 and the error as stderr), state in the same
// --root (a host command `"$RUNTIME" state ID` sees it), the trace in the client's trace file.
import { create, remove, start, state } from '../runtime/lifecycle/in-process.js';
import { fileSink, tracer } from '../tracer/tracer.js';
import type { RunResult, RuntimeState } from './runtime-cli.js';

/**
 * Runs fn as one runtime command would run: in the runtime's stage, its events to `traceFile` only
 * (none without one), the tracer's stage and container as they were afterwards; a throw is exit 1.
 * The command cannot be killed at `timeoutMs` as a process would be: the caller is told it failed.
 */
async function asCommand(what: string, traceFile: string | undefined, timeoutMs: number, fn: () => Promise<unknown>): Promise<RunResult> {
  const { stage, container } = tracer;
  const file = traceFile ? fileSink(traceFile) : undefined;
  const restore = tracer.divert(file?.sink);
  tracer.stage = 'cli';
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([fn(), late]);
    return { code: 0, stdout: '', stderr: '' };
  } catch (err) {
    return { code: 1, stdout: '', stderr: `${(err as Error).message}\n` };
  } finally {
    clearTimeout(timer);
    restore();
    tracer.stage = stage;
    tracer.container = container;
    file?.close();
  }
}

export interface InProcessRuntime {
  root: string;
  traceFile?: string;
  timeoutMs: number;
}

/** `create --bundle B --pid-file P ID`; the init's stdout and stderr are `outputFd` (as a runtime process's would be). */
export function createInProcess(rt: InProcessRuntime, id: string, bundle: string, pidFile: string, outputFd: number | undefined): Promise<RunResult> {
  return asCommand('create', rt.traceFile, rt.timeoutMs, async () => {
    const out = outputFd ?? 'ignore';
    const init = await create({ root: rt.root, id, bundle, pidFile, stdio: ['ignore', out, out] });
    // the init outlives this call, as it outlives a runtime process: no pipe of ours may hold it (or us)
    init.detach();
  });
}

export function startInProcess(rt: InProcessRuntime, id: string): Promise<RunResult> {
  return asCommand('start', rt.traceFile, rt.timeoutMs, () => start(rt.root, id));
}

/** `delete --force ID` */
export function deleteInProcess(rt: InProcessRuntime, id: string): Promise<RunResult> {
  return asCommand('delete', rt.traceFile, rt.timeoutMs, () => remove(rt.root, id, true));
}

export function stateInProcess(root: string, id: string): RuntimeState | undefined {
  return state(root, id);
}
