// What every process the runtime starts to act on itself does first and last: the init and the exec
// helper both trace up their pipe (and to the TUI's), obey the stepping gate and injected faults,
// wait for the parent's go once Node has booted, and report a failure up the pipe as they exit.
import { ENV } from '../../env.js';
import { tracer, fdSink } from '../../tracer/tracer.js';
import type { Stage } from '../../tracer/event.js';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { ENV_EXE_FD, ENV_UP_PATH, EVENTS_FD } from './config.js';
import { UP_FD, redirectUp, sendUp, waitForParent } from './channel.js';
import { PR, sys } from '../sys/index.js';

/** The pipe up, first of all: a trampoline did not inherit it (lifecycle/spawn-init.ts), so it is ours alone, close-on-exec. */
export function openUpPipe(): number {
  const upPath = process.env[ENV_UP_PATH];
  const up = upPath ? openSync(upPath, 'w') : UP_FD;
  redirectUp(up);
  return up;
}

/**
 * traceUp false: nobody will read our events from the pipe up (the parent has no sink and does
 * not step, see InitConfig.traceUp), so none are written: each one woke the parent to parse it.
 */
export function startTracing(stage: Stage, up: number, traceUp = true): void {
  tracer.stage = stage;
  if (traceUp) tracer.addSink(fdSink(up));
  if (process.env[ENV.EVENTS_FD]) tracer.addSink(fdSink(EVENTS_FD), { direct: true });
  tracer.setFaults(process.env[ENV.FAULT]);
  // our pid as the host sees it, for the events before "go" says it: /proc is still the host's
  if (tracer.active) {
    const nspids = /^NSpid:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
    if (nspids.length > 1) tracer.setHostPid(Number(nspids[0]));
  }
  // Traced, but not stopped at: while we do this the runtime may be at the stepping gate itself
  // (setns back into its pid namespace), and the gate serves one waiting process at a time.
  becomeUnreachable();
  const controlFd = process.env[ENV.CONTROL_FD];
  if (controlFd) tracer.setControlFd(Number(controlFd));
}

/**
 * First thing after tracing is set up: we may live in a container's namespaces, and nothing of the
 * host may be reachable through us. The runtime exec'd us non-dumpable (with an effective gid that
 * differs from the real one, see lifecycle/unreachable-spawn.ts): take the gid back, then say
 * non-dumpable ourselves, because a credential change resets it to fs.suid_dumpable.
 */
export function becomeUnreachable(): void {
  const rgid = process.getgid!();
  if (process.getegid!() !== rgid) sys.setresgid(rgid);
  sys.prctl(PR.PR_SET_DUMPABLE, 0, 0, 0, 0, '0 (/proc/<pid>/exe, fd/, mem and ptrace need CAP_SYS_PTRACE)');
  // the read-only mount of node a trampoline exec'd us from: nothing more to do with it
  const exeFd = process.env[ENV_EXE_FD];
  if (exeFd) closeSync(Number(exeFd));
}

/** Tells the parent Node has booted and waits for its go; events carry our host pid from then on. */
export function readyThenGo(): void {
  sendUp({ msg: 'ready' });
  const { hostPid } = waitForParent('go');
  if (hostPid > 0) tracer.setHostPid(hostPid);
}

/** Runs main; a failure goes up the pipe as one message and becomes the exit code (127: no such program). */
export function runReportingFailure(main: () => void): void {
  try {
    main();
  } catch (err) {
    const e = err as Error & { errno?: string };
    sendUp({ msg: 'error', error: e.message, ...(e.errno ? { errno: e.errno } : {}) });
    process.exit(e.errno === 'ENOENT' && /executable file not found|execve/.test(e.message) ? 127 : 1);
  }
}
