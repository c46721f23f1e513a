// exec: run another process in a running container, as runc exec does: in all of its namespaces and
// cgroups, with the container's user, capabilities, no_new_privs, rlimits and seccomp filter unless
// told otherwise. A Node helper (init/exec-main.ts) is spawned into the container's pid namespace,
// moved into its cgroups, joins the other namespaces itself and execs the program.
import { readFileSync } from 'node:fs';
import { tracer } from '../../tracer/tracer.js';
import { writeKernelFile } from '../sys/index.js';
import { cgroupOf } from '../cgroups/process.js';
import type { ExecConfig } from '../init/config.js';
import type { Process, Spec } from '../../oci/spec.js';
import { readState } from '../state.js';
import { readSavedSpec } from './start.js';
import { spawnInit } from './spawn-init.js';
import { writePidFile } from './create.js';
import { exitStatus, FORWARDED_SIGNALS, forwardSignals } from './signals.js';
import { connectConsoleSocket } from '../console.js';
import { closeQuietly } from '../terminal.js';
import { UsageError } from '../../errors.js';

export interface ExecOptions {
  root: string;
  id: string;
  /** the program and its arguments (ignored with processFile) */
  args: string[];
  /** a runtime-spec process.json to run instead */
  processFile?: string;
  env?: string[];
  cwd?: string;
  /** "uid" or "uid:gid", numeric */
  user?: string;
  /** capabilities to add, e.g. CAP_NET_ADMIN */
  caps?: string[];
  noNewPrivileges?: boolean;
  detach?: boolean;
  pidFile?: string;
  controlFd?: number;
  /** the caller's terminal: the process stays in our session and process group, so it is its controlling terminal */
  tty?: boolean;
  /** with a terminal: a pty made in the container, its master handed to this unix socket (an engine's), as create does */
  consoleSocket?: string;
}

/** Namespaces joined by setns, the mount namespace last: joining it changes our root. */
const JOIN_ORDER = ['cgroup', 'ipc', 'uts', 'network', 'mount'] as const;
const PROC_NS_NAME: Record<string, string> = { cgroup: 'cgroup', ipc: 'ipc', uts: 'uts', network: 'net', mount: 'mnt' };

function parseUser(user: string): { uid: number; gid: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!m) throw new Error(`--user "${user}": give a numeric uid or uid:gid (names are resolved by the engine, not the runtime)`);
  return { uid: Number(m[1]), gid: Number(m[2] ?? 0) };
}

/** The process to run: process.json, or the container's own process with the command and overrides. */
export function execProcess(spec: Spec, o: Pick<ExecOptions, 'args' | 'processFile' | 'env' | 'cwd' | 'user' | 'caps' | 'noNewPrivileges'>): Process {
  if (o.processFile) {
    let p: Process;
    try {
      p = JSON.parse(readFileSync(o.processFile, 'utf8')) as Process;
    } catch (err) {
      throw new Error(`--process ${o.processFile}: ${(err as Error).message}`);
    }
    if (!Array.isArray(p.args) || p.args.length === 0) throw new Error(`--process ${o.processFile}: "args" must name the program to run`);
    return { ...p, user: p.user ?? { uid: 0, gid: 0 }, cwd: p.cwd ?? '/' };
  }
  if (o.args.length === 0) throw new Error('exec: give the command to run after the container id, or --process FILE');
  const base = spec.process!;
  const env = [...(base.env ?? [])];
  for (const e of o.env ?? []) {
    if (!e.includes('=')) throw new Error(`--env "${e}": use KEY=VALUE`);
    const key = e.slice(0, e.indexOf('='));
    const i = env.findIndex((x) => x.startsWith(`${key}=`));
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  let capabilities = base.capabilities;
  if (o.caps?.length) {
    const added = o.caps.map((c) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`));
    const add = (set: string[] | undefined): string[] => [...new Set([...(set ?? []), ...added])];
    capabilities = { ...capabilities, bounding: add(capabilities?.bounding), effective: add(capabilities?.effective), permitted: add(capabilities?.permitted) };
  }
  return {
    ...base, args: o.args, env, cwd: o.cwd ?? base.cwd, user: o.user ? parseUser(o.user) : base.user,
    capabilities, noNewPrivileges: o.noNewPrivileges === true || base.noNewPrivileges === true, terminal: false,
  };
}

/** Whether a process of the container may hold CAP_SYS_PTRACE (its init's bounding set has it). */
function mayPtrace(spec: Spec): boolean {
  return spec.process?.capabilities?.bounding?.includes('CAP_SYS_PTRACE') ?? false;
}

/** Runs the process; returns its exit code (128+N when killed by signal N), or 0 at once with detach. */
export async function execInContainer(o: ExecOptions): Promise<number> {
  const state = readState(o.root, o.id);
  if (state.status !== 'running') {
    throw new Error(`cannot exec in container "${o.id}": it is ${state.status}, not running`);
  }
  const spec = readSavedSpec(o.root, o.id);
  const namespaces = spec.linux?.namespaces ?? [];
  tracer.container = o.id;
  const proc = execProcess(spec, o);
  // -t, or "terminal" in the process file (engines pass --process with --console-socket)
  const terminal = o.tty ?? proc.terminal === true;
  if (o.consoleSocket && !terminal) throw new UsageError('exec --console-socket is for a process with a terminal: add --tty (or "terminal": true in the --process file)');
  proc.terminal = o.consoleSocket !== undefined;
  const joins = JOIN_ORDER.filter((type) => namespaces.some((n) => n.type === type))
    .map((type) => ({ type, path: `/proc/${state.pid}/ns/${PROC_NS_NAME[type]}` }));
  const config: ExecConfig = { id: o.id, process: proc, joins, seccomp: spec.linux?.seccomp };
  const cgroupFiles = cgroupOf(state.pid).procsFiles();
  const hasPidNamespace = namespaces.some((n) => n.type === 'pid');
  // a multithreaded Node cannot setns into a user namespace: util-linux nsenter does it for us
  const hasUserNamespace = namespaces.some((n) => n.type === 'user');

  const consoleFd = o.consoleSocket ? connectConsoleSocket(o.consoleSocket) : undefined;
  let helper: ReturnType<typeof spawnInit>;
  try {
    helper = spawnInit({
      program: 'exec', config: JSON.stringify(config), controlFd: o.controlFd,
      // with the console socket the helper's stdio becomes the pty it makes; on the caller's terminal it stays in our session
      stdio: consoleFd !== undefined ? ['ignore', 'ignore', 'ignore'] : ['inherit', 'inherit', 'inherit'], consoleFd,
      sameSession: consoleFd === undefined && o.tty === true && !o.detach,
      newPidNamespace: false, joinPidNamespace: hasPidNamespace ? `/proc/${state.pid}/ns/pid` : undefined,
      newUserNamespace: false, joinUserNamespace: hasUserNamespace ? `/proc/${state.pid}/ns/user` : undefined,
      // Detached, an engine's subreaper waits for the pid in --pid-file: it must be our own child.
      // Our non-dumpable fork is out of reach of the container's processes only while none of them
      // can have CAP_SYS_PTRACE; with it, the trampoline keeps the runtime's binary out of the
      // container (that exec's status then reaches the engine through nsenter, not directly).
      directChild: o.detach === true && !mayPtrace(spec) && !proc.capabilities?.bounding?.includes('CAP_SYS_PTRACE'),
    });
  } finally {
    // the helper has its copy
    if (consoleFd !== undefined) closeQuietly(consoleFd);
  }
  try {
    await helper.booted;
    const pid = helper.hostPid;
    // Counted against the container's limits before it runs a single instruction of the program.
    for (const file of cgroupFiles) writeKernelFile(file, String(pid), 'cgroup.write', `write ${file} = ${pid} (join the container's cgroup)`);
    helper.send({ msg: 'go', hostPid: pid });
    const outcome = await helper.next();
    if (outcome.msg === 'error' && !outcome.eof) {
      // 127 for a program that is not there, as shells (and our run) say it
      throw Object.assign(new Error(`exec in container "${o.id}" failed: ${outcome.error}`), { exitCode: outcome.errno === 'ENOENT' ? 127 : 1 });
    }
  } catch (err) {
    // the trampoline (nsenter) and the helper it forked
    for (const pid of new Set([helper.child.pid ?? 0, helper.hostPid])) {
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await helper.exited;
    throw err;
  }
  if (o.pidFile) writePidFile(o.pidFile, helper.hostPid);
  if (o.detach) {
    helper.detach();
    return 0;
  }
  // On the caller's terminal the process is in our foreground process group: the terminal signals it
  // (Ctrl-C, Ctrl-\\, window size) itself, and we only have to survive those.
  const fromTerminal: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGWINCH'];
  const stop = o.tty && consoleFd === undefined
    ? forwardSignals(helper.hostPid, FORWARDED_SIGNALS.filter((s) => !fromTerminal.includes(s)), fromTerminal)
    : forwardSignals(helper.hostPid);
  try {
    const { code, signal } = await helper.exited;
    return exitStatus(code, signal);
  } finally {
    stop();
  }
}
