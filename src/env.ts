// Every TSLAB_* environment variable tslab reads, in one place: the settings a user may give, and
// the words one tslab process leaves for another it starts (the CLI for the monitor, the monitor for
// the runtime, the runtime for the init). Code reads them as process.env[ENV.NAME].
//
// The pipes of a --tui/--step run reach every process of the run at the same two fds (below), so
// "the events fd" means one number wherever it is read.

export const ENV = {
  // ---- settings a user (or a test) gives ----
  /** The config file (default /etc/tslab/config.json). */
  CONFIG: 'TSLAB_CONFIG',
  /** Overrides the config's data root (images, containers, networks); tests use a scratch folder. */
  DATA_ROOT: 'TSLAB_DATA_ROOT',
  /** 1: contact only loopback registries (machines without internet, tests). */
  OFFLINE: 'TSLAB_OFFLINE',
  /** How many worker threads unpack layers in parallel (0: in this thread). */
  UNPACK_WORKERS: 'TSLAB_UNPACK_WORKERS',
  /** The runtime `tslab lab` uses when --runtime is not given. */
  LAB_RUNTIME: 'TSLAB_LAB_RUNTIME',
  /** Where labs keep their prepared root filesystems (default under TSLAB_HOME). */
  LAB_CACHE: 'TSLAB_LAB_CACHE',
  /** tslab's own state folder for labs (default /var/lib/tslab). */
  HOME: 'TSLAB_HOME',
  /** Set: errors print their stack, and the runtime keeps its debug output. */
  DEBUG: 'TSLAB_DEBUG',
  /** The commit `--version` shows (a build without .git sets it). */
  COMMIT: 'TSLAB_COMMIT',
  /** sh: the container monitor is the shell program even where perl exists. */
  SHIM: 'TSLAB_SHIM',
  /** 1: bin/tslab runs the modules in dist/src, not its bundle dist/tslab.cjs (to compare or test the two). */
  UNBUNDLED: 'TSLAB_UNBUNDLED',
  /** npm run test:coverage: where the processes a test starts write their V8 coverage (test/child-coverage.ts). */
  CHILD_COVERAGE: 'TSLAB_CHILD_COVERAGE',

  // ---- tracing, passed down to every process of a run ----
  /** A file every process of the run appends its trace events to (like --trace). */
  TRACE: 'TSLAB_TRACE',
  /** The fd (EVENTS_FD) on which a TUI reads the run's events as JSON lines. */
  EVENTS_FD: 'TSLAB_EVENTS_FD',
  /** The fd (CONTROL_FD) from which a stepping TUI's 'g' releases each step. */
  CONTROL_FD: 'TSLAB_CONTROL_FD',
  /** Faults to inject: [stage/]step:occurrence:ERRNO[,…] (tests of error paths). */
  FAULT: 'TSLAB_FAULT',

  // ---- the runtime → its init and exec helper ----
  /** Through a trampoline: the fd of the read-only mount of node it exec'd, which node closes first. */
  EXE_FD: 'TSLAB_EXE_FD',
  /** Through the pid trampoline: the path (/proc/<runtime>/fd/N) of the pipe up, opened by the process itself. */
  UP_PATH: 'TSLAB_UP_PATH',
  /** With process.terminal: the fd of the unix socket the init hands the pty master over on. */
  CONSOLE_FD: 'TSLAB_CONSOLE_FD',

  // ---- the container layer → the container's monitor (src/container/monitor.pl, monitor.sh) ----
  /** The runtime program (runc's command line). */
  RT: 'TSLAB_RT',
  /** The runtime's --root. */
  RT_ROOT: 'TSLAB_RT_ROOT',
  /** The bundle folder (config.json, rootfs/). */
  DIR: 'TSLAB_DIR',
  /** The container's ID. */
  ID: 'TSLAB_ID',
  /** 1: remove the container's folder when it ends (--rm), once tslab saw it start. */
  RM: 'TSLAB_RM',
  /** The log's size limit in bytes: beyond it the older half moves to <log>.1. */
  LOG_MAX: 'TSLAB_LOG_MAX',
  /** prctl's system call number on this machine, for perl's syscall(). */
  PRCTL_NR: 'TSLAB_PRCTL_NR',
  /** 1: the monitor runs in the foreground (shares tslab's stdio, exits with the container's status). */
  FG: 'TSLAB_FG',
  /** The fd of the go pipe, on which tslab says start (or abort) after create. */
  GO_FD: 'TSLAB_GO_FD',
  /** Node and bin/tslab, for the monitor to release the network when the container ends by itself. */
  NODE: 'TSLAB_NODE',
  BIN: 'TSLAB_BIN',
  /** The monitor's marker files (see MONITOR_FILES in src/container/monitor.ts). */
  LOG: 'TSLAB_LOG',
  PID_FILE: 'TSLAB_PID_FILE',
  EXIT_FILE: 'TSLAB_EXIT_FILE',
  START_RESULT: 'TSLAB_START_RESULT',
  STARTED: 'TSLAB_STARTED',
  ROOTFS: 'TSLAB_ROOTFS',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Where a TUI's events pipe sits in every process of a run (the TUI's child, the monitor, the runtime, the init). */
export const EVENTS_FD = 6;
/** Where a stepping TUI's control pipe sits, next to it (see traceFds in src/container/runtime.ts). */
export const CONTROL_FD = 7;
