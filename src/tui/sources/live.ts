// Runs the watched command as a child with two extra inherited fds: it writes trace events as
// JSON lines to TSLAB_EVENTS_FD and, when stepping, reads one 'g' per begin from TSLAB_CONTROL_FD.
// Its stdout and stderr are captured for the output pane instead of being drawn over the screen.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { isTraceEvent, type TraceEvent } from '../../tracer/event.js';
import { ENV_CONTROL_FD, ENV_EVENTS_FD } from '../../tracer/tracer.js';
import type { EventSource, SourceHandlers } from './source.js';

export const EVENTS_FD = 3;
export const CONTROL_FD = 4;

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

  start(handlers: SourceHandlers): void {
    const [program, ...args] = this.opts.command;
    if (!program) throw new Error('LiveSource: empty command');
    const env: NodeJS.ProcessEnv = { ...(this.opts.env ?? process.env), [ENV_EVENTS_FD]: String(EVENTS_FD) };
    if (this.opts.stepping) env[ENV_CONTROL_FD] = String(CONTROL_FD);
    else delete env[ENV_CONTROL_FD];
    const child = spawn(program, args, {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', this.opts.stepping ? 'pipe' : 'ignore'],
      env,
      ...(this.opts.cwd ? { cwd: this.opts.cwd } : {}),
    });
    this.child = child;
    this.control = this.opts.stepping ? (child.stdio[CONTROL_FD] as Writable) : undefined;
    // The child may exit while we still write 'g': that is not an error of the TUI.
    this.control?.on('error', () => {});
    child.stdout?.setEncoding('utf8').on('data', (s: string) => handlers.output(s, 'stdout'));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => handlers.output(s, 'stderr'));
    readJsonLines(child.stdio[EVENTS_FD] as Readable, handlers.events,
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
   * Quit: stop blocking the emitters (a short run then finishes and cleans up by itself); if the
   * command is still running after graceMs, SIGTERM asks it to stop and delete its container
   * (as runc's `run` forwards signals); SIGKILL only if that hangs too.
   */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.control?.end();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const running = (): boolean => child.exitCode === null && child.signalCode === null;
    const term = setTimeout(() => {
      if (running()) child.kill('SIGTERM');
    }, this.opts.graceMs ?? 2000);
    const kill = setTimeout(() => {
      if (running()) child.kill('SIGKILL');
    }, (this.opts.graceMs ?? 2000) + (this.opts.killAfterMs ?? 5000));
    child.once('exit', () => {
      clearTimeout(term);
      clearTimeout(kill);
    });
  }
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
