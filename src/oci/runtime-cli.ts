// The one client of an OCI runtime's command line (runc's): tslab's own bin/tslab-runtime, runc, crun
// or any runc-compatible program. The container engine and the labs both drive runtimes through it,
// so a lab is also a conformance test of the runtime under it, and every failure is one UsageError.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { InProcessRuntime } from './runtime-in-process.js';

/** The tslab package folder (the one whose package.json names tslab), from src/, dist/src/ or a bundle. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tslab') return dir;
      } catch {
        // keep looking
      }
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the tslab package root (package.json) above this module');
}

export function defaultRuntimePath(): string {
  return join(packageRoot(), 'bin', 'tslab-runtime');
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function onPath(name: string): string | undefined {
  // sbin folders too: runc lives in /usr/sbin, which a user's PATH may lack
  for (const dir of (process.env.PATH ?? SYSTEM_PATH).split(delimiter).concat(['/usr/sbin', '/sbin'])) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Names that mean tslab's own runtime. */
const OURS = new Set(['ours', 'tslab', 'tslab-runtime']);

/** unset / `ours` / `tslab` → bin/tslab-runtime; a bare name (runc, crun) → found on PATH; a path → itself. */
export function resolveRuntime(given: string | undefined): string {
  if (!given || OURS.has(given)) return defaultRuntimePath();
  if (given.includes('/')) {
    const path = isAbsolute(given) ? given : resolve(given);
    if (!existsSync(path)) throw new UsageError(`runtime "${given}" not found: give the path of a runc-compatible program such as /usr/sbin/runc, or ours`);
    return path;
  }
  const found = onPath(given);
  if (!found) throw new UsageError(`runtime "${given}" not found on PATH: give a path such as /usr/sbin/runc, or ours`);
  return found;
}

/** A small, predictable environment for the runtime (NODE_OPTIONS and friends slow Node down). */
export function runtimeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: SYSTEM_PATH };
  for (const key of ['TSLAB_TRACE', 'TSLAB_DEBUG', 'TSLAB_FAULT', 'TERM', 'HOME']) if (process.env[key]) env[key] = process.env[key];
  return env;
}

/**
 * Under `--tui`/`--step` this process writes events to TSLAB_EVENTS_FD and waits for 'g' on
 * TSLAB_CONTROL_FD. The runtime processes it starts emit steps too, so they get both pipes, at
 * `firstFd` and the next fd of the child, and the environment that names them.
 */
export function traceFds(firstFd: number): { stdio: Array<number | 'ignore'>; env: NodeJS.ProcessEnv } {
  const events = process.env.TSLAB_EVENTS_FD;
  const control = process.env.TSLAB_CONTROL_FD;
  if (!events || !/^\d+$/.test(events)) return { stdio: [], env: {} };
  const env: NodeJS.ProcessEnv = { TSLAB_EVENTS_FD: String(firstFd) };
  const stdio: Array<number | 'ignore'> = [Number(events)];
  if (control && /^\d+$/.test(control)) {
    stdio.push(Number(control));
    env.TSLAB_CONTROL_FD = String(firstFd + 1);
  }
  return { stdio, env };
}

/** A runtime command that takes longer is killed: generous, for slow CI machines (a VM without KVM). */
export const RUNTIME_TIMEOUT_MS = 90_000;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RuntimeState {
  status: string;
  pid?: number;
}

/** runc logs `time="…" level=error msg="…"`: keep the message. */
export function runtimeMessage(line: string): string {
  const m = /level=\w+ msg="((?:[^"\\]|\\.)*)"/.exec(line);
  return m ? m[1]!.replace(/\\"/g, '"') : line;
}

/** The last lines a failed runtime command printed, on one line. */
function said(r: { stdout: string; stderr: string }, lines = 3): string {
  return (r.stderr || r.stdout).trim().split('\n').slice(-lines).map(runtimeMessage).join(' | ');
}

/**
 * What a caller adds to one runtime command: fds from 3 on, variables, and the pid once spawned. A
 * stepping lab (src/labs/stepping.ts) hands its TUI's events and control pipes to create and start.
 */
export interface RunAttachments {
  stdio: Array<number | 'ignore'>;
  env: NodeJS.ProcessEnv;
  onSpawn(pid: number): void;
}

/** A stepped command waits for a person at every stop: give them a workshop's time. */
export const STEPPING_TIMEOUT_MS = 3 * 60 * 60_000;

export interface RunOptions {
  outputFd?: number;
  timeoutMs?: number;
  attach?: RunAttachments;
}

export interface RuntimeCliOptions {
  /** where a tslab runtime appends its trace events (TSLAB_TRACE); other runtimes ignore it */
  traceFile?: string;
  /** the runtime's environment; default runtimeEnv() */
  env?: NodeJS.ProcessEnv;
  /**
   * ours only (other runtimes ignore it): create, start, delete and state run in this process
   * (runtime-in-process.ts), not a Node boot each; a stepped create or start still runs the command
   */
  inProcess?: boolean;
}

/** One runtime at one state folder (`--root`): every command runs as `runtime --root ROOT …`. */
export class RuntimeCli {
  readonly env: NodeJS.ProcessEnv;
  /** the lifecycle runs in this process (ours, asked for) */
  readonly inProcess: boolean;
  private readonly traceFile?: string;
  constructor(readonly path: string, readonly root: string, options: RuntimeCliOptions = {}) {
    const env = options.env ?? runtimeEnv();
    this.env = options.traceFile ? { ...env, TSLAB_TRACE: options.traceFile } : env;
    this.traceFile = options.traceFile;
    this.inProcess = options.inProcess === true && resolve(path) === defaultRuntimePath();
  }

  private inProcessRuntime(options: RunOptions = {}): InProcessRuntime {
    return { root: resolve(this.root), traceFile: this.traceFile, timeoutMs: options.timeoutMs ?? RUNTIME_TIMEOUT_MS };
  }

  /** The runtime does it in this process: ours, asked for, and not stepped (a TUI gates each step of a process of its own). */
  private here(options: RunOptions): boolean {
    return this.inProcess && options.attach === undefined;
  }

  /** `create --bundle B --pid-file P ID`; the container's stdio goes to `outputFd`. Never throws for a failure. */
  async create(id: string, bundle: string, pidFile: string, options: RunOptions = {}): Promise<RunResult> {
    if (!this.here(options)) return this.run(['create', '--bundle', bundle, '--pid-file', pidFile, id], options);
    const { createInProcess } = await import('./runtime-in-process.js');
    return createInProcess(this.inProcessRuntime(options), id, resolve(bundle), resolve(pidFile), options.outputFd);
  }

  /** `start ID`; throws a UsageError naming what failed. */
  async start(id: string, options: RunOptions = {}): Promise<void> {
    if (!this.here(options)) {
      await this.mustRun('start', ['start', id], options);
      return;
    }
    const { startInProcess } = await import('./runtime-in-process.js');
    const r = await startInProcess(this.inProcessRuntime(options), id);
    if (r.code !== 0) throw new UsageError(`start failed: ${this.path} start ${id}: ${said(r)}`);
  }

  /** `delete --force ID`. Never throws for a failure. */
  async deleteForceAsync(id: string): Promise<RunResult> {
    if (!this.inProcess) return this.run(['delete', '--force', id]);
    const { deleteInProcess } = await import('./runtime-in-process.js');
    return deleteInProcess(this.inProcessRuntime(), id);
  }

  args(...rest: string[]): string[] {
    return ['--root', this.root, ...rest];
  }

  /** Runs a command; stdio of the container process goes to `outputFd` when given. Never throws for an exit code. */
  run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolvePromise, reject) => {
      const out = options.outputFd;
      const extra = options.attach;
      const child = spawn(this.path, this.args(...args), {
        stdio: [...(out === undefined ? ['ignore', 'pipe', 'pipe'] as const : ['ignore', out, out] as const), ...(extra?.stdio ?? [])],
        env: extra ? { ...this.env, ...extra.env } : this.env,
      });
      if (child.pid !== undefined) extra?.onSpawn(child.pid);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
      const timeoutMs = options.timeoutMs ?? RUNTIME_TIMEOUT_MS;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new UsageError(`cannot run the runtime ${this.path}: ${err.message}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (timedOut) stderr += `(did not finish within ${timeoutMs / 1000} s: killed)`;
        resolvePromise({ code, stdout, stderr });
      });
    });
  }

  /** run(), and a UsageError naming the command and what the runtime said when it fails. */
  async mustRun(what: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    const result = await this.run(args, options);
    if (result.code !== 0) {
      const text = said(result);
      throw new UsageError(`${what} failed: ${this.path} ${args.join(' ')} exited ${result.code ?? '(killed)'}${text ? `: ${text}` : ''}`);
    }
    return result;
  }

  /** A short command, synchronously; returns its stdout, throws a UsageError with its message on failure. */
  runSync(args: string[], what: string): string {
    const r = spawnSync(this.path, this.args(...args), { encoding: 'utf8', env: this.env });
    if (r.error) throw new UsageError(`${what}: cannot run ${this.path}: ${r.error.message}`);
    if (r.status !== 0) throw new UsageError(`${what}: ${basename(this.path)} failed: ${said(r, 1)}`);
    return r.stdout;
  }

  /** `state ID`, or undefined when the runtime does not know the container. */
  state(id: string): RuntimeState | undefined {
    const r = spawnSync(this.path, this.args('state', id), { encoding: 'utf8', env: this.env });
    return r.status === 0 ? parseState(r.stdout) : undefined;
  }

  /** state() without blocking the event loop (labs run several at once). */
  async stateAsync(id: string): Promise<RuntimeState | undefined> {
    if (this.inProcess) return (await import('./runtime-in-process.js')).stateInProcess(resolve(this.root), id);
    const r = await this.run(['state', id]);
    return r.code === 0 ? parseState(r.stdout) : undefined;
  }

  /** all: every process of the container (runc's `kill --all`), not only its init */
  kill(id: string, signal: string, all = false): void {
    this.runSync(['kill', ...(all ? ['--all'] : []), id, signal.replace(/^SIG/, '')], `sending ${signal}`);
  }

  /** `delete --force`: succeeds for a container that is already gone (runc's convention). */
  deleteForce(id: string): void {
    // runc, crun and ours keep a container's state in ROOT/ID: without it there is nothing to
    // delete, and no runtime process to start (a foreground run deleted it already)
    if (!existsSync(join(this.root, id))) return;
    spawnSync(this.path, this.args('delete', '--force', id), { stdio: 'ignore', env: this.env });
  }

  /** A long-running command (run, exec) as a child process, with extra environment for trace pipes. */
  spawn(args: string[], stdio: StdioOptions, extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
    return spawn(this.path, this.args(...args), { stdio, env: { ...this.env, ...extraEnv } });
  }

  spawnRun(bundle: string, id: string, stdio: StdioOptions): ChildProcess {
    return this.spawn(['run', '--bundle', bundle, id], stdio);
  }
}

function parseState(text: string): RuntimeState | undefined {
  try {
    return JSON.parse(text) as RuntimeState;
  } catch {
    return undefined;
  }
}
