// Starting the init. Node cannot fork into JavaScript, so the init is a fresh Node process started
// by libuv (fork+exec) that acts on itself. Two namespaces must exist before it starts:
// - pid: unshare(CLONE_NEWPID) here, spawn (the child becomes PID 1), then setns straight back,
//   or this process could no longer start threads (docs/design.md §2);
// - user: a multithreaded process cannot create one, so a single-threaded trampoline
//   (util-linux `unshare --user`) makes it and execs the init; we then write its uid/gid maps.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tracer } from '../../tracer/tracer.js';
import { CLONE, sys, writeKernelFile } from '../sys/index.js';
import type { IdMapping } from '../../oci/spec.js';
import { encodeParentMessage, type InitMessage, type ParentMessage } from '../init/channel.js';
import { handleInitLine } from './init-lines.js';
import { CONFIG_FD, CONSOLE_FD, CONTROL_FD, COVERAGE_FD, ENV_CONSOLE_FD, ENV_EXE_FD, ENV_UP_PATH, EVENTS_FD, EXE_FD } from '../init/config.js';
import { ENV } from '../../env.js';
import { Socket } from 'node:net';
import { sealedExecutable, spawnUnreachable, stopAtOnce } from './unreachable-spawn.js';

const O_PATH = 0o10000000;

export interface SpawnInitOptions {
  /** the container's init (default), or a process joining a running container */
  program?: 'init' | 'exec';
  /** its config (InitConfig or ExecConfig) as JSON, written down a pipe on CONFIG_FD (of any size; a
   * process that joins a user namespace as its root may not read the state folder) */
  config: string;
  /** exec.fifo, which the init reopens after pivot_root (not for exec) */
  fifoPath?: string;
  newPidNamespace: boolean;
  joinPidNamespace?: string;
  newUserNamespace: boolean;
  joinUserNamespace?: string;
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
  stdio: [number | 'inherit' | 'ignore' | 'pipe', number | 'inherit' | 'ignore' | 'pipe', number | 'inherit' | 'ignore' | 'pipe'];
  controlFd?: number;
  /** stay in the caller's session and process group (exec -t: the caller's terminal stays the controlling one) */
  sameSession?: boolean;
  /** process.terminal: a unix socket on which the init hands over the master of the pty it makes */
  consoleFd?: number;
  /**
   * The process must be our own child, not a trampoline's: an engine's subreaper (conmon, the
   * containerd shim) reaps the pid of `exec --detach --pid-file` once we have exited. A populated
   * pid namespace is then joined by our own fork, which is non-dumpable and runs node from the
   * read-only mount: out of reach of a container process without CAP_SYS_PTRACE.
   */
  directChild?: boolean;
}

export interface RunningInit {
  child: ChildProcess;
  /** The init as the host sees it (the trampoline's child when a user namespace is made, known once booted). */
  hostPid: number;
  /** Resolves once Node has booted in the init and said ready (and its uid/gid maps are written). */
  booted: Promise<void>;
  next(): Promise<InitMessage>;
  /** Says the next word of the handshake down the init's pipe (see ParentMessage). */
  send(message: ParentMessage): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  detach(): void;
}

/**
 * The bundled program, dist/init.cjs or dist/exec-init.cjs (beside the bundled runtime dist/runtime.cjs,
 * or three levels above this module in dist/src/runtime/lifecycle), else its module itself.
 */
function initScript(program: 'init' | 'exec'): string {
  const bundle = program === 'init' ? 'init.cjs' : 'exec-init.cjs';
  for (const candidate of [`./${bundle}`, `../../../${bundle}`]) {
    const bundled = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(bundled)) return bundled;
  }
  return fileURLToPath(new URL(program === 'init' ? '../init/main.js' : '../init/exec-main.js', import.meta.url));
}

function findTrampolineChild(trampolinePid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${trampolinePid}/task/${trampolinePid}/children`, 'utf8').trim();
    return children ? Number(children.split(' ')[0]) : undefined;
  } catch {
    return undefined;
  }
}

function writeIdMaps(pid: number, uid: IdMapping[] | undefined, gid: IdMapping[] | undefined): void {
  const format = (maps: IdMapping[]): string => maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n') + '\n';
  if (gid && gid.length > 0) writeKernelFile(`/proc/${pid}/gid_map`, format(gid), 'gid_map.write');
  if (uid && uid.length > 0) writeKernelFile(`/proc/${pid}/uid_map`, format(uid), 'uid_map.write');
}

/** util-linux's unshare or nsenter: single-threaded trampolines into user namespaces. */
function tool(name: 'unshare' | 'nsenter', forWhat: string): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  throw new Error(`${forWhat} needs util-linux \`${name}\` as a single-threaded trampoline: apt-get install util-linux`);
}

/**
 * Spawns the init and returns at once: Node takes tens of milliseconds to boot in it, time the caller
 * spends on its own work (the cgroup) before it awaits `booted`.
 */
export function spawnInit(options: SpawnInitOptions): RunningInit {
  const program = options.program ?? 'init';
  const fifoFd = options.fifoPath !== undefined ? openSync(options.fifoPath, O_PATH) : undefined;
  const stdio: StdioOptions = [...options.stdio, 'pipe', 'pipe', fifoFd ?? 'ignore'];
  // A minimal environment: NODE_OPTIONS and friends can cost ~50 ms per process (docs/design.md §2).
  const env: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  if (process.env[ENV.FAULT]) env[ENV.FAULT] = process.env[ENV.FAULT];
  // the TUI's pipes go where every process of a run has them (EVENTS_FD, then CONTROL_FD)
  const eventsFd = process.env[ENV.EVENTS_FD];
  const events = eventsFd && /^\d+$/.test(eventsFd) ? Number(eventsFd) : undefined;
  if (events !== undefined || options.controlFd !== undefined) {
    while (stdio.length < EVENTS_FD) stdio.push('ignore');
    stdio.push(events ?? 'ignore', options.controlFd ?? 'ignore');
    if (events !== undefined) env[ENV.EVENTS_FD] = String(EVENTS_FD);
    if (options.controlFd !== undefined) env[ENV.CONTROL_FD] = String(CONTROL_FD);
  }
  if (options.consoleFd !== undefined) {
    while (stdio.length < CONSOLE_FD) stdio.push('ignore');
    stdio.push(options.consoleFd);
    env[ENV_CONSOLE_FD] = String(CONSOLE_FD);
  }
  const nodeArgs = ['--max-old-space-size=64', initScript(program)];
  let child: ChildProcess;
  // A populated pid namespace (without a user namespace) is joined by a trampoline too: were the
  // runtime to fork into it, its child would be a copy of the runtime (the host's node, all its fds)
  // until it exec'd, and a container process with CAP_SYS_PTRACE could open its exe. (In a user
  // namespace nothing inside has CAP_SYS_PTRACE over the host: the non-dumpable fork child is out of
  // reach, and the join stays as it was.)
  const pidTrampoline = options.joinPidNamespace !== undefined && options.joinUserNamespace === undefined && !options.directChild;
  const usesTrampoline = options.newUserNamespace || options.joinUserNamespace !== undefined || pidTrampoline;
  // node (and the trampoline) from a read-only mount of no namespace: see unreachable-spawn.ts
  const node = sealedExecutable(process.execPath);
  let nodeAfterTrampoline = node.path;
  if (usesTrampoline) {
    // the trampoline's exec closes our close-on-exec fds: it gets the mount as EXE_FD
    while (stdio.length < EXE_FD) stdio.push('ignore');
    stdio.push(node.fd);
    env[ENV_EXE_FD] = String(EXE_FD);
    nodeAfterTrampoline = `/proc/self/fd/${EXE_FD}`;
  }
  while (stdio.length < CONFIG_FD) stdio.push('ignore');
  stdio.push('pipe');
  const coverageFd = passCoverageDir(stdio, env);
  // Through the pid trampoline the messages up travel in a pipe nsenter never holds (the helper
  // opens its write end through /proc/<us>/fd): it closes when the helper execs the program.
  let upPipe: [number, number] | undefined;
  if (pidTrampoline) {
    upPipe = sys.pipe('pipe2 O_CLOEXEC (the helper\'s messages; only it will hold the write end)');
    stdio[3] = 'ignore';
    env[ENV_UP_PATH] = `/proc/${process.pid}/fd/${upPipe[1]}`;
  }
  // whether the trampoline forks (the init is its child) or execs the init itself
  let trampolineForks = true;
  if (pidTrampoline) {
    const nsenter = tool('nsenter', 'joining a pid namespace');
    const args = [`--pid=${options.joinPidNamespace}`, '--', nodeAfterTrampoline, ...nodeArgs];
    child = spawnWithPidNamespace({ ...options, joinPidNamespace: undefined }, sealedExecutable(nsenter).path, args, stdio, env, 'spawn.trampoline',
      `spawn ${nsenter} --pid=${options.joinPidNamespace} node (only the trampoline's child enters the pid namespace)`);
  } else if (options.joinUserNamespace) {
    // Joining needs a single-threaded process too: we join the pid namespace (as for any init) and
    // spawn util-linux nsenter, which enters the user namespace as its root (so that the
    // capabilities survive execve) and execs node in place: no process is left between us and it.
    if (options.newPidNamespace) throw new Error('linux.namespaces: a new pid namespace inside a user namespace joined by path is not supported; join its pid namespace too, or make a new user namespace');
    const nsenter = tool('nsenter', 'joining a user namespace');
    const args = [`--user=${options.joinUserNamespace}`, '--no-fork', '--', nodeAfterTrampoline, ...nodeArgs];
    trampolineForks = false;
    child = spawnWithPidNamespace(options, sealedExecutable(nsenter).path, args, stdio, env, 'spawn.trampoline',
      `spawn ${nsenter} --user=${options.joinUserNamespace} node (setns into a user namespace needs a single-threaded process)`, false);
  } else if (usesTrampoline) {
    const unshare = tool('unshare', 'user namespaces');
    const args = ['--user', '--keep-caps', ...(options.newPidNamespace ? ['--pid', '--fork', '--kill-child'] : ['--fork', '--kill-child'])];
    child = tracer.step({ kind: 'exec', step: 'spawn.trampoline', args: { program: unshare, args },
      summary: `spawn ${unshare} ${args.join(' ')} node init (CLONE_NEWUSER needs a single-threaded process)` },
    () => spawnUnreachable(() => spawn(sealedExecutable(unshare).path, [...args, '--', nodeAfterTrampoline, ...nodeArgs],
      { stdio, env, detached: true, argv0: unshare }), false));
  } else {
    child = spawnWithPidNamespace(options, node.path, nodeArgs, stdio, env, 'spawn.init');
  }
  if (fifoFd !== undefined) closeSync(fifoFd);
  if (coverageFd !== undefined) closeSync(coverageFd);
  const configPipe = (child.stdio as unknown as Array<(NodeJS.WritableStream & { destroy(): void }) | null>)[CONFIG_FD];
  configPipe?.on('error', () => {}); // the process died before reading it: its exit says why
  // once in the socket, the data stays readable: close our end, or it would keep us alive (detach)
  configPipe?.end(options.config, () => configPipe.destroy());

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const spawnError = new Promise<never>((_, reject) => child.on('error', reject));
  spawnError.catch(() => {});

  // Our copy of the helper's write end: closed once it has opened its own (it said ready) or died,
  // else the pipe would never close.
  let upEndOpen = upPipe !== undefined;
  const closeOurUpEnd = (): void => {
    if (!upEndOpen) return;
    upEndOpen = false;
    sys.close(upPipe![1]);
  };
  child.on('exit', closeOurUpEnd);

  const queue: InitMessage[] = [];
  const waiters: Array<(m: InitMessage) => void> = [];
  const hostPid = child.pid ?? 0;
  let ended = false;
  const up = (upPipe ? new Socket({ fd: upPipe[0], readable: true, writable: false }) : child.stdio[3]) as NodeJS.ReadableStream & { destroy(): void };
  const deliver = (m: InitMessage): void => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  };
  // JSON lines; split by hand (node:readline costs the runtime's start a few milliseconds to load)
  let partial = '';
  up.setEncoding('utf8');
  up.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const message = handleInitLine(line);
      if (message) deliver(message);
    }
  });
  up.on('close', () => {
    ended = true;
    deliver({ msg: 'error', error: 'the init exited before the container was created', eof: true });
  });

  const next = async (): Promise<InitMessage> => {
    const m = queue.shift();
    if (m) return m;
    if (ended) return { msg: 'error', error: 'the init exited before the container was created', eof: true };
    return Promise.race([new Promise<InitMessage>((r) => waiters.push(r)), spawnError]);
  };
  const down = child.stdio[4] as NodeJS.WritableStream & { destroy(): void };
  down.on('error', () => {});

  const running: RunningInit = {
    child,
    hostPid,
    booted: next().then((first) => {
      closeOurUpEnd();
      if (first.msg !== 'ready') throw new Error(first.msg === 'error' ? first.error : `init said ${first.msg} before ready`);
      if (usesTrampoline && trampolineForks) {
        const initPid = findTrampolineChild(child.pid!);
        if (!initPid) throw new Error('the user-namespace trampoline has no child: util-linux unshare failed');
        running.hostPid = initPid;
        if (options.newUserNamespace) writeIdMaps(initPid, options.uidMappings, options.gidMappings);
      }
    }),
    next,
    send: (message) => void down.write(encodeParentMessage(message)),
    exited,
    detach: () => {
      up.removeAllListeners('data');
      up.destroy();
      down.destroy();
      child.unref();
    },
  };
  running.booted.catch(() => {}); // the caller awaits it; an early failure must not be "unhandled"
  return running;
}

/**
 * Under `npm run test:coverage` (NODE_V8_COVERAGE set): the init writes its coverage just before
 * execve, when it may already live in the container's root. So it gets the coverage folder as an
 * open fd and writes through /proc/self/fd/N, which reaches the host's folder from any root.
 */
function passCoverageDir(stdio: StdioOptions & unknown[], env: NodeJS.ProcessEnv): number | undefined {
  const dir = process.env.NODE_V8_COVERAGE;
  if (!dir) return undefined;
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return undefined; // no folder, no coverage: never a reason to fail a container
  }
  while (stdio.length < COVERAGE_FD) stdio.push('ignore');
  stdio.push(fd);
  env.NODE_V8_COVERAGE = `/proc/self/fd/${COVERAGE_FD}`;
  return fd;
}

function spawnWithPidNamespace(options: SpawnInitOptions, program: string, args: string[], stdio: StdioOptions, env: NodeJS.ProcessEnv,
  step: 'spawn.init' | 'spawn.trampoline', summary = 'spawn node init', setgidExec = true): ChildProcess {
  const target = options.joinPidNamespace ?? (options.newPidNamespace ? 'new' : undefined);
  const run = (): ChildProcess => spawnUnreachable(() => spawn(program, args, { stdio, env, detached: !options.sameSession }), setgidExec);
  if (!target) {
    return tracer.step({ kind: 'exec', step, args: { program }, summary: `${summary} (fork+exec by libuv)` }, run);
  }
  const ownPidNs = openSync('/proc/self/ns/pid', 'r');
  try {
    if (target === 'new') {
      sys.unshare(CLONE.CLONE_NEWPID);
    } else {
      const fd = openSync(target, 'r');
      try {
        sys.setns(fd, CLONE.CLONE_NEWPID, target);
      } finally {
        closeSync(fd);
      }
    }
    return tracer.step({ kind: 'exec', step, args: { program, pidNamespace: target },
      summary: target === 'new' ? `${summary}: it becomes PID 1 of the new pid namespace` : `${summary} into the pid namespace ${target}` }, run);
  } finally {
    // Straight back: a process whose pid_for_children differs from its own cannot create threads.
    try {
      sys.setns(ownPidNs, CLONE.CLONE_NEWPID, `/proc/self/ns/pid (${readlinkSync('/proc/self/ns/pid')})`);
    } catch (err) {
      // Nothing asynchronous can run any more (it needs threads)
      stopAtOnce(err, 'cannot return to our own pid namespace');
    }
    closeSync(ownPidNs);
  }
}
