// `tslab container run` without -d: the container's output on our stdout/stderr and in its log, our
// signals forwarded to it, its exit status ours.
import { closeSync, openSync, writeSync } from 'node:fs';
import { exitStatus, forwardSignals } from '../runtime/lifecycle/signals.js';
import { prepareWithNetwork } from './create.js';
import { createAttachStart, spawnMonitor } from './monitor.js';
import { releaseNetwork } from './network.js';
import { readRecord, saveRecord, type ContainerRecord } from './record.js';
import { unmountRootfs } from './rootfs.js';
import { dataRoot, monitorFile, runtimeFor, waitUntil } from './state.js';
import { defaultRuntimePath } from '../oci/runtime-cli.js';
import { removeContainer } from './verbs.js';

/**
 * Runs a created container in the foreground, its output on our stdout/stderr and in the log.
 * Without -t: the monitor in foreground mode (create → network → start, it reaps the init and
 * exits with its status). With -t: the runtime's `run` with our terminal — a runtime cannot
 * `create` with a terminal without a console socket — and the network comes from a createRuntime
 * hook (see networkHook in create.ts). Resolves with the exit code.
 */
export async function runForeground(record: ContainerRecord, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process): Promise<number> {
  const root = dataRoot();
  const o = record.options;
  const dir = prepareWithNetwork(record, { networkHook: o.tty && o.network !== 'host' });
  const runtime = runtimeFor(record);
  const notePid = (pid: number): void => {
    const current = readRecord(root, record.id);
    if (current && current.state.status === 'running') {
      current.state.pid = pid;
      saveRecord(root, current);
    }
  };
  if (!o.tty && record.runtime === defaultRuntimePath()) {
    // ours: its lifecycle in this process (src/container/run-in-process.ts), no monitor, no runtime boots
    record.state = { status: 'running', monitorPid: process.pid, startedAt: new Date().toISOString() };
    saveRecord(root, record);
    const { runInProcess } = await import('./run-in-process.js');
    const log = openSync(monitorFile(dir, 'log'), 'a');
    const { code, failure } = await runInProcess(record, dir, runtime.root, log, notePid, io).finally(() => closeSync(log));
    return finishForeground(record, dir, code, failure);
  }
  const child = o.tty ? runtime.spawnRun(dir, record.id, 'inherit') : spawnMonitor(record, dir, true);
  record.state = { status: 'running', monitorPid: process.pid, startedAt: new Date().toISOString() };
  saveRecord(root, record);
  const log = openSync(monitorFile(dir, 'log'), 'a');
  child.stdout?.on('data', (c: Buffer) => {
    io.stdout.write(c);
    writeSync(log, c);
  });
  child.stderr?.on('data', (c: Buffer) => {
    io.stderr.write(c);
    writeSync(log, c);
  });
  // SIGHUP: the terminal closed, so the container hangs up too, then is cleaned up
  const stopForwarding = forwardSignals((signal) => runtime.kill(record.id, signal), ['SIGINT', 'SIGTERM', 'SIGHUP']);
  const closed = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => resolve(exitStatus(code, signal)));
    child.on('error', (err) => {
      process.stderr.write(`tslab: cannot run ${o.tty ? `the runtime ${record.runtime}` : 'the container monitor'}: ${err.message}\n`);
      resolve(127);
    });
  });
  let failure: Error | undefined;
  if (o.tty) {
    // learn the init's PID for exec and pause while it runs (the hook attached its network)
    void waitUntil(() => {
      const s = runtime.state(record.id);
      if (s?.pid) notePid(s.pid);
      return s?.pid !== undefined || child.exitCode !== null;
    }, 10_000);
  } else {
    try {
      const pid = await createAttachStart(record, dir, child);
      if (pid !== undefined) notePid(pid);
    } catch (err) {
      failure = err as Error;
    }
  }
  const code = await closed;
  stopForwarding();
  closeSync(log);
  runtime.deleteForce(record.id);
  return finishForeground(record, dir, code, failure);
}

/** After a foreground run: the rootfs, the network, the record's exit status, --rm. */
function finishForeground(record: ContainerRecord, dir: string, code: number, failure: Error | undefined): number {
  const root = dataRoot();
  unmountRootfs(dir);
  releaseNetwork(record.id);
  const current = readRecord(root, record.id) ?? record;
  current.state = { ...current.state, status: 'exited', exitCode: code, finishedAt: new Date().toISOString(), pid: undefined };
  saveRecord(root, current);
  if (record.options.autoRemove) removeContainer(current, true);
  if (failure) throw failure;
  return code;
}
