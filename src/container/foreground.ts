// `tslab container run` without -d: the container's output on our stdout/stderr and in its log, our
// signals forwarded to it, its exit status ours.
import { closeSync, openSync } from 'node:fs';
import { exitStatus, forwardSignals } from '../runtime/lifecycle/signals.js';
import { prepareWithNetwork } from './create.js';
import { createAttachStart, spawnMonitor } from './monitor.js';
import { releaseNetwork } from './network.js';
import { readRecord, saveRecord, type ContainerRecord } from './record.js';
import { unmountRootfs } from './rootfs.js';
import { dataRoot, monitorFile, runtimeFor, waitUntil } from './state.js';
import { defaultRuntimePath } from '../oci/runtime-cli.js';
import { removeContainer } from './verbs.js';
import { relayOutput, type OutputRelay } from './output.js';

/**
 * Runs a created container in the foreground, its output on our stdout/stderr and in the log.
 * Without -t: the monitor in foreground mode (create → network → start, it reaps the init and
 * exits with its status). With -t: the runtime's `run` with our terminal — a runtime cannot
 * `create` with a terminal without a console socket — and the network comes from a createRuntime
 * hook (see networkHook in create.ts). Resolves with the exit code.
 */
export async function runForeground(record: ContainerRecord, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process): Promise<number> {
  const o = record.options;
  const dir = prepareWithNetwork(record, { networkHook: o.tty && o.network !== 'host' });
  const runtime = runtimeFor(record);
  const log = openSync(monitorFile(dir, 'log'), 'a');
  // another runtime's container writes through its monitor, whose pipes must stay open: SIGPIPE its
  // processes (an init without a handler ignores it, as the kernel has it for every pid namespace's init)
  const relay = relayOutput(io, log, () => {
    try {
      runtime.kill(record.id, 'SIGPIPE', true);
    } catch {
      // not started yet, or already gone
    }
  });
  try {
    return await runWith(record, dir, relay);
  } finally {
    relay.close();
    closeSync(log);
  }
}

async function runWith(record: ContainerRecord, dir: string, relay: OutputRelay): Promise<number> {
  const root = dataRoot();
  const o = record.options;
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
    const { code, failure } = await runInProcess(record, dir, runtime.root, notePid, relay);
    return finishForeground(record, dir, code, failure);
  }
  const child = o.tty ? runtime.spawnRun(dir, record.id, 'inherit') : spawnMonitor(record, dir, true);
  record.state = { status: 'running', monitorPid: process.pid, startedAt: new Date().toISOString() };
  saveRecord(root, record);
  child.stdout?.on('data', relay.stdout);
  child.stderr?.on('data', relay.stderr);
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
