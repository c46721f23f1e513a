// The lab format: what a lab author writes in labs/<area>/<lab>/lab.ts. A lab declares its containers
// (image, namespaces, limits, mounts), narrated steps that run commands inside or outside them, and
// checks that assert a kernel fact and say what was expected, what was seen and what to look at.
//
// A lab file imports only types from here (`import type`), so the loader can compile it on its own;
// everything a lab needs at run time arrives through the LabContext argument.
import type { CommandResult } from '../container/shell.js';
import type { Mount, Spec } from '../oci/spec.js';

export type NamespaceName = 'pid' | 'network' | 'ipc' | 'uts' | 'mount' | 'cgroup' | 'user' | 'time';

/** Resource limits, in the units the OCI spec uses. */
export interface Limits {
  /** memory.max (v2) / memory.limit_in_bytes (v1), bytes (swap is not limited: hosts differ on swap accounting) */
  memoryBytes?: number;
  /** pids.max */
  pids?: number;
  /** cpu.max quota (v2) / cpu.cfs_quota_us (v1), microseconds per period */
  cpuQuotaUs?: number;
  /** cpu.max period (v2) / cpu.cfs_period_us (v1), microseconds; default 100000 */
  cpuPeriodUs?: number;
  /** cpuset.cpus, e.g. "0" */
  cpus?: string;
}

export interface ContainerDef {
  /** image name; `busybox` is always available (built from busybox-static when offline) */
  image: string;
  /** the container's process; default: a long sleep, so steps can enter it with nsenter */
  args?: string[];
  /**
   * Every container's root is an overlay the lab mounts: the image's layers as lowerdirs, an upper and
   * work folder of its own (so nothing reaches the image store). image (default): mounted read-only
   * in the container; overlay: writable, for labs about the layers.
   */
  rootfs?: 'image' | 'overlay';
  /** root.readonly; default true for `image`, false for `overlay` */
  readonly?: boolean;
  /** the namespaces to create; default: runc's (pid, network, ipc, uts, mount, cgroup) */
  namespaces?: NamespaceName[];
  hostname?: string;
  domainname?: string;
  /** user namespace mapping: container ids 0..size-1 are host ids hostId..hostId+size-1 */
  idMap?: { hostId: number; size: number };
  /** the process's user; default root (0:0) */
  user?: { uid: number; gid: number };
  limits?: Limits;
  /** every capability set of the process (bounding, effective, permitted, ambient); default runc's three */
  capabilities?: string[];
  /** process.noNewPrivileges; default true (as runc spec) */
  noNewPrivileges?: boolean;
  /** mounts added after the default ones (proc, dev, sys, …); a source `$SCRATCH/dir` is a folder of the run */
  mounts?: Mount[];
  /** as `tslab container run -v`: `NAME:/path` (a named volume), `/host/path:/path`, either with `:ro` */
  volumes?: string[];
  /** as `tslab container run --tmpfs`: `/path` or `/path:size=1m,mode=1777` */
  tmpfs?: string[];
  /**
   * as `tslab container run --network`: none (default: its own network namespace with only loopback),
   * host (the host's), bridge (tslab's default bridge: a veth pair and an address) or the name of a
   * network made with `tslab network create`
   */
  network?: string;
  /** as `-p`, with a bridge network: `[HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]` */
  ports?: string[];
  /** linux.maskedPaths / readonlyPaths; default runc's lists */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  env?: string[];
  /** steps start only once the container's output contains this (its init prints it when set up) */
  ready?: string;
  /** last resort: edit the generated config.json before the runtime sees it */
  editSpec?: (spec: Spec) => void;
}

/** What a command printed and how it ended. */
export type { CommandResult };

/** A command shown to the student, run inside a container (nsenter) or on the host. */
export interface Command {
  /** container name: run inside it (all its namespaces, its cgroup, its root); omit: run on the host */
  in?: string;
  /** a shell script (busybox sh inside, /bin/sh outside); a function gets the context first */
  sh: string | ((lab: LabContext) => string);
  /** remember stdout (trimmed) under this key: lab.memo[key] */
  saveAs?: string;
  /** default: a non-zero exit fails the step; set when the failure is the lesson */
  mayFail?: boolean;
  timeoutMs?: number;
}

/** A check's answer: ok, and what was expected and seen, in words a student reads. */
export interface Verdict {
  ok: boolean;
  expected: string;
  seen: string;
}

export interface Check {
  /** what must be true, as a sentence: "PID 1 inside is the container's sleep" */
  title: string;
  /** whose view of the kernel this asserts: from inside the container, or the host's */
  from: 'inside' | 'outside';
  /** said when the check fails: what probably removed this isolation, and where to look */
  hint: string | ((seen: string) => string);
  verify: (lab: LabContext) => Promise<Verdict> | Verdict;
}

export interface Step {
  title: string;
  /** narration, a few sentences of plain text */
  say: string;
  run?: Command[];
  checks?: Check[];
  /** the student's turn: after run and checks, wait until they have done something (see Task) */
  task?: Task;
}

/**
 * Something the student does in a second terminal. The lab prints the instruction and the exact
 * command, then polls `check` until it holds: `tslab lab shell LAB CONTAINER` opens the shell.
 * `tslab test` (and any run without a terminal) runs `solution` instead, so CI proves the task can
 * be solved; a negative control naming the check's title proves it can fail.
 */
export interface Task {
  /** what to do and why, a sentence or two */
  instruction: string;
  /** the container whose shell the student types in; omit: a host shell */
  in?: string;
  /** the exact command to type there */
  command: string;
  /** the reference solution (a script run like Command.sh, in the same place), run by `tslab test` */
  solution: string;
  /** what must become true; polled until it holds */
  check: Check;
  /** chosen by what the check sees: the first hint whose `when` matches the seen value is shown */
  hints?: Array<{ when: string | RegExp; say: string }>;
  /** how long a student may take (default 10 minutes; $TSLAB_TASK_DEADLINE_MS overrides it) */
  deadlineMs?: number;
}

/**
 * A traced step of the containers' creation that the lab is about. In a terminal `tslab run` stops
 * before it in the step-by-step TUI and shows `say` beside the catalogue's explanation.
 */
export interface KeyStep {
  /** the trace's step name: unshare, sethostname, pivot_root, mount, cgroup.write, … */
  step: string;
  /** arguments that must match: a substring of the argument's text, or a pattern (`{ flags: 'CLONE_NEWPID' }`) */
  match?: Record<string, string | RegExp>;
  /** the lab's own words for this moment, a sentence or two */
  say: string;
}

export interface LabDefinition {
  title: string;
  /** one paragraph: what the lab shows */
  summary: string;
  containers: Record<string, ContainerDef>;
  steps: Step[];
  /** host-side commands run after the lab, even when it failed (remove what steps made on the host) */
  cleanup?: Command[];
  /** return a reason to skip on this host (printed, and counted as a skip, never silently) */
  skipIf?: (host: HostFacts) => string | undefined;
  /**
   * Negative controls: each removes the lab's isolation and names the checks that must then fail. A
   * check is worth having only if some control makes it fail; the suite runs every control.
   */
  controls: NegativeControl[];
  /** where `tslab run` stops in a terminal (our runtime only; `--step` stops at every step) */
  keySteps?: KeyStep[];
}

export interface NegativeControl {
  /** a runtime wrapper (test/fixtures/runtimes/<name>) that runs runc with one isolation removed */
  wrapper: string;
  /** check titles that must fail under it; empty: the lab must fail, at a step if need be */
  mustFail: string[];
}

export interface HostFacts {
  cgroup: 'v1' | 'v2';
  arch: string;
  /** CPUs this process may run on */
  cpus: number;
  runtime: string;
}

/** A cgroup file named for both hierarchies; v1 names are `<controller>/<file>`. */
export interface CgroupFile {
  v1: string;
  v2: string;
}

export interface CgroupView {
  mode: 'v1' | 'v2';
  /** the container's cgroup directory for a controller (v2: the one directory) */
  dir(controller: string): string;
  /** read a file: `{ v1: 'memory/memory.limit_in_bytes', v2: 'memory.max' }` */
  read(file: CgroupFile): string;
  /** read a flat-keyed file (cpu.stat, memory.events, memory.oom_control, pids.events) as numbers */
  readKeyed(file: CgroupFile): Record<string, number>;
  /** freeze or thaw every process of the container (cgroup.freeze / freezer.state) */
  freeze(frozen: boolean): void;
  /** the frozen state the kernel reports: true once every task is frozen */
  isFrozen(): boolean;
}

export interface ContainerView {
  name: string;
  id: string;
  /** the init's pid as the host sees it */
  pid: number;
  bundle: string;
  /** the root filesystem the runtime was given (for overlay: the merged mount) */
  rootfs: string;
  /** the overlay under the container's root: lower (the image's layers, ':'-joined), upper, work, merged */
  overlay?: { lower: string; upper: string; work: string; merged: string };
  /** everything the container's process wrote to stdout and stderr so far */
  output(): string;
  /** the cgroup the container's init is in (from /proc/<pid>/cgroup) */
  cgroup: CgroupView;
  /** the cgroup config.json asked for (linux.cgroupsPath), wherever the init really is */
  configuredCgroup: CgroupView;
}

export interface LabContext {
  host: HostFacts;
  /** run a shell script inside a container: nsenter into all its namespaces, after joining its cgroup */
  inside(container: string, sh: string, options?: { timeoutMs?: number }): Promise<CommandResult>;
  /** run a shell script on the host; PID_/ROOTFS_/BUNDLE_/UPPER_/ID_<NAME>, LOWER, RUNTIME, RUNTIME_ROOT, SCRATCH, TSLAB, LAB_DIR are set */
  outside(sh: string, options?: { timeoutMs?: number }): Promise<CommandResult>;
  container(name: string): ContainerView;
  /** read a host file (e.g. /proc/<pid>/status), at most 4 MiB of it; '' when it does not exist */
  readFile(path: string): string;
  /** poll until probe returns a value (not undefined), or fail after timeoutMs saying what was awaited */
  waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs?: number): Promise<T>;
  /**
   * poll probe until done(value) or timeoutMs, and return the last value either way: for checks whose
   * failure is the value not changing (a counter that must stop, a throttle count that must grow)
   */
  pollUntil<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs: number, intervalMs?: number): Promise<T>;
  /**
   * the tslab CLI that runs this lab, as the start of a host shell command: `${lab.cli()} container ps -a`
   * (this node, this package's CLI; the run's data root unless `dataRoot` names one of the lab's own)
   */
  cli(options?: CliOptions): string;
  /** a host shell command that removes the engine's container `name` (none: nothing to do), once its monitor unmounted its root */
  removeContainer(name: string, options?: CliOptions): string;
  /** values kept between steps (Command.saveAs lands here) */
  memo: Record<string, string>;
  /** verdict helpers */
  expect: Expect;
}

export interface CliOptions {
  /** TSLAB_DATA_ROOT for the command: a lab whose engine objects must touch nothing else on the host */
  dataRoot?: string;
}

export interface Expect {
  equal(seen: string | number, expected: string | number): Verdict;
  notEqual(seen: string | number, unexpected: string | number): Verdict;
  includes(seen: string, part: string): Verdict;
  excludes(seen: string, part: string): Verdict;
  matches(seen: string, pattern: RegExp): Verdict;
  atLeast(seen: number, min: number): Verdict;
  atMost(seen: number, max: number): Verdict;
  /** a custom verdict: ok, what was expected, what was seen */
  that(ok: boolean, expected: string, seen: string): Verdict;
}
