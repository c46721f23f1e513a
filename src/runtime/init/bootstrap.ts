// What every process the runtime starts to act on itself does first and last: the init and the exec
// helper both trace up their pipe (and to the TUI's), obey the stepping gate and injected faults,
// wait for the parent's go once Node has booted, and report a failure up the pipe as they exit.
import { ENV } from '../../env.js';
import { tracer, fdSink } from '../../tracer/tracer.js';
import type { Stage } from '../../tracer/event.js';
import { EVENTS_FD } from './config.js';
import { UP_FD, sendUp, waitForParent } from './channel.js';

export function startTracing(stage: Stage): void {
  tracer.stage = stage;
  tracer.addSink(fdSink(UP_FD));
  if (process.env[ENV.EVENTS_FD]) tracer.addSink(fdSink(EVENTS_FD), { direct: true });
  const controlFd = process.env[ENV.CONTROL_FD];
  if (controlFd) tracer.setControlFd(Number(controlFd));
  tracer.setFaults(process.env[ENV.FAULT]);
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
