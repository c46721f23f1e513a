// Runs the watched command as a child with two extra inherited fds: it writes trace events as
// JSON lines to TSLAB_EVENTS_FD and, when stepping, reads one 'g' per begin from TSLAB_CONTROL_FD.
// Its stdout and stderr are captured for the output pane instead of being drawn over the screen.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { isTraceEvent, type TraceEvent } from '../../tracer/event.js';
import { CONTROL_FD, ENV, EVENTS_FD } from '../../env.js';
import type { EventSource, SourceHandlers } from './source.js';

export { EVENTS_FD, CONTROL_FD };

/** read(2)'s number, as /proc/<pid>/syscall shows it. */
const READ_SYSCALL: Partial<Record<string, string>> = { x64: '0', arm64: '63', ia32: '3', arm: '3', riscv64: '63', ppc64: '3', s390x: '3' };

export interface LiveOptions {
  /** the program and its arguments */
  command: string[];
  stepping: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** how long stop() lets the command finish on its own before SIGTERM */
  graceMs?: number;
  /** how long stop() waits after SIGTERM before SIGKILL */
  killAfterMs?: number;
}

/** Whether the process sits in read() on fd (/proc/<pid>/syscall); undefined when we cannot tell. */
export function readsFd(pid: number, fd: number): boolean | undefined {
  const readNr = READ_SYSCALL[process.arch];
  if (readNr === undefined) return undefined;
  try {
    const [nr, first] = readFileSync(`/proc/${pid}/syscall`, 'utf8').trim().split(' ');
    return nr === readNr && first !== undefined && Number(first) === fd;
  } catch {
    return undefined;
  }
}

export class LiveSource implements EventSource {
  readonly kind = 'live' as const;
  readonly stepping: boolean;
  child: ChildProcess | undefined;
  private control: Writable | undefined;
  private stopping = false;

  constructor(private readonly opts: LiveOptions) {
    this.stepping = opts.stepping;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get rootPid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Whether the watched process sits in read() on its control fd, i.e. waits for a 'g'
   * (/proc/<pid>/syscall: syscall number, then the arguments). undefined when we cannot tell.
   */
  rootWaitsForGo(): boolean | undefined {
    const pid = this.child?.pid;
    if (pid === undefined || !this.stepping) return undefined;
    return readsFd(pid, CONTROL_FD);
  }

  start(handlers: SourceHandlers): void {
    const [program, ...args] = this.opts.command;
    if (!program) throw new Error('LiveSource: empty command');
    const env: NodeJS.ProcessEnv = { ...(this.opts.env ?? process.env), [ENV.EVENTS_FD]: String(EVENTS_FD) };
    if (this.opts.stepping) env[ENV.CONTROL_FD] = String(CONTROL_FD);
    else delete env[ENV.CONTROL_FD];
    // the pipes where every process of a run has them (src/env.ts)
    const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(EVENTS_FD - 3).fill('ignore'), 'pipe', this.opts.stepping ? 'pipe' : 'ignore'];
    const child = spawn(program, args, {
      stdio,
      env,
      ...(this.opts.cwd ? { cwd: this.opts.cwd } : {}),
    });
    this.child = child;
    const pipes = child.stdio as ReadonlyArray<Readable | Writable | null | undefined>;
    this.control = this.opts.stepping ? (pipes[CONTROL_FD] as Writable) : undefined;
    // The child may exit while we still write 'g': that is not an error of the TUI.
    this.control?.on('error', () => {});
    child.stdout?.setEncoding('utf8').on('data', (s: string) => handlers.output(s, 'stdout'));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => handlers.output(s, 'stderr'));
    readJsonLines(pipes[EVENTS_FD] as Readable, handlers.events,
      (line) => handlers.output(`[tslab tui] not a trace event: ${line.slice(0, 120)}\n`, 'stderr'));
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (done) return;
      done = true;
      this.control?.destroy();
      handlers.exit(code, signal);
    };
    child.on('error', (err) => {
      handlers.output(`[tslab tui] cannot start ${program}: ${err.message}\n`, 'stderr');
      finish(127, null);
    });
    // 'close' waits for stdout/stderr/events to drain, so the last events arrive before exit.
    child.on('close', (code, signal) => finish(code, signal));
  }

  release(): void {
    if (!this.control || this.control.destroyed) return;
    this.control.write('g');
  }

  /**
   * Quit: stop blocking the emitters (a short run then finishes and cleans up by itself). If the
   * command still runs after graceMs, SIGTERM asks it to stop (`oci run` forwards it to the
   * container, as runc does). A container whose PID 1 ignores SIGTERM (PID 1 has no default
   * handlers) gets SIGKILL on its init after killAfterMs, so that the runtime sees it exit and
   * deletes it; the runtime itself is killed only if it still hangs after that.
   */
  stop(hint: { initPid?: number | undefined } = {}): void {
    if (this.stopping) return;
    this.stopping = true;
    this.control?.end();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const running = (): boolean => child.exitCode === null && child.signalCode === null;
    const grace = this.opts.graceMs ?? 2000;
    const after = this.opts.killAfterMs ?? 5000;
    const timers = [
      setTimeout(() => running() && child.kill('SIGTERM'), grace),
      setTimeout(() => {
        if (!running()) return;
        const init = hint.initPid;
        if (init !== undefined && child.pid !== undefined && isDescendant(init, child.pid)) {
          try {
            process.kill(init, 'SIGKILL');
          } catch {
            // it exited meanwhile
          }
        }
      }, grace + after),
      setTimeout(() => running() && child.kill('SIGKILL'), grace + 2 * after),
    ];
    child.once('exit', () => timers.forEach(clearTimeout));
  }
}

/** Whether `pid` descends from `ancestor` (we only ever signal processes our child started). */
export function isDescendant(pid: number, ancestor: number): boolean {
  let current = pid;
  for (let depth = 0; depth < 8 && current > 1; depth++) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${current}/stat`, 'utf8');
    } catch {
      return false;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === ancestor) return true;
    current = ppid;
  }
  return false;
}

/** Splits a stream into lines and hands over the trace events among them, in batches. */
export function readJsonLines(stream: Readable, onEvents: (batch: TraceEvent[]) => void, onJunk: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const text = rest + chunk;
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    const batch: TraceEvent[] = [];
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        const parsed: unknown = JSON.parse(line);
        if (isTraceEvent(parsed)) batch.push(parsed);
        else onJunk(line);
      } catch {
        onJunk(line);
      }
    }
    if (batch.length > 0) onEvents(batch);
  });
}
