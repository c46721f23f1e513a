/** The parent opens exec.fifo with O_PATH and hands it down as this fd: after pivot_root the init
 * can no longer see the state directory, but it can reopen the fifo through /proc/self/fd. */
export const FIFO_FD = 5;
/** The TUI's events pipe (EVENTS_FD, 6) and the stepping control pipe (CONTROL_FD, 7) sit where every
 * process of a run has them: the init writes its events there itself, so the TUI sees every step
 * that waits at the gate even while the runtime process is blocked at its own. */
export { CONTROL_FD, EVENTS_FD } from '../../env.js';
/** With process.terminal: a unix socket to hand the pty master over (to the runtime, or to an engine's console socket). */
export const CONSOLE_FD = 8;
export const ENV_CONSOLE_FD = ENV.CONSOLE_FD;
/** Through a trampoline (nsenter, unshare): the read-only detached mount of node that it execs, which node closes first thing. */
export const EXE_FD = 9;
export const ENV_EXE_FD = ENV.EXE_FD;
/** Through the pid trampoline: /proc/<runtime>/fd/N, the write end of the pipe up, which the process opens itself. */
export const ENV_UP_PATH = ENV.UP_PATH;
/** The process's config (InitConfig or ExecConfig) as JSON, read to EOF first thing: a pipe takes
 * a config.json of any size (an environment variable failed with E2BIG above ~128 KB). */
export const CONFIG_FD = 10;
/** Under NODE_V8_COVERAGE: the coverage folder, written through /proc/self/fd (see spawn-init.ts). */
export const COVERAGE_FD = 11;

import type { Spec } from '../../oci/spec.js';
import { ENV } from '../../env.js';

/** What the parent hands the init (as JSON on CONFIG_FD). */
export interface InitConfig {
  id: string;
  bundle: string;
  rootfs: string;
  stateDir: string;
  fifo: string;
  spec: Spec;
  /** CLONE_* flags the init unshares itself (all but pid and user, which the parent arranges) */
  unshareFlags: number;
  /** namespaces to join by path, in order */
  joins: Array<{ type: string; path: string }>;
  /** true when the init runs inside a new user namespace made by the trampoline */
  inUserNamespace: boolean;
  cgroupMode: 'v1' | 'v2';
  cgroupPath: string;
  /**
   * false: no process will read the init's events (a run or an in-process create whose process has
   * no trace sink and does not step, and which starts the container itself), so it sends none up
   * its pipe or exec.fifo. Left out (create for an engine): a later `start --trace` may read them.
   */
  traceUp?: boolean;
}

/** What the runtime hands a process that joins a running container (`exec`), as JSON on CONFIG_FD. */
export interface ExecConfig {
  id: string;
  process: import('../../oci/spec.js').Process;
  /** the container's namespaces to join, mount last (it changes our root to the container's) */
  joins: Array<{ type: string; path: string }>;
  /** the container's seccomp profile: the joining process gets the same filter */
  seccomp?: unknown;
}
