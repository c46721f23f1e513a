// The entry points command authors call: runUnderTui() for `--tui` / `--step`, runReplay() for
// `tslab trace view`. On a terminal they draw the Ink TUI; otherwise they print plain step lines.
import { ENV } from '../env.js';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceEvent } from '../tracer/event.js';
import type { TuiResult } from './App.js';
import { LiveSource } from './sources/live.js';
import { ReplaySource } from './sources/replay.js';
import type { EventSource, SourceHandlers } from './sources/source.js';
import { plainLine } from './plain.js';
import { loadInkForTerminal } from './load-ink.js';
import { exitStatus } from '../runtime/lifecycle/signals.js';

export interface RunUnderTuiOptions {
  /** stop before every step and wait for a key (`--step`); false watches live (`--tui`) */
  step: boolean;
  /** shown in the header; defaults to the command line */
  title?: string;
  /** the program to run, argv appended; default: the running bin/tslab or bin/tslab-runtime */
  command?: string[];
  env?: NodeJS.ProcessEnv;
  /** where plain mode writes step lines (default stderr, so stdout stays the container's) */
  write?: (text: string) => void;
  /** force the plain renderer (default: plain unless stdout and stdin are terminals) */
  plain?: boolean;
}

/** The flags that brought us here must not reach the child, or it would open a TUI of its own. */
export function stripTuiFlags(argv: readonly string[]): string[] {
  return argv.filter((a) => a !== '--tui' && a !== '--step');
}

/** bin/tslab of this package, found from this module (dist/src/tui or src/tui). */
export function tslabBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'bin', 'tslab');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find bin/tslab above ' + fileURLToPath(import.meta.url));
}

/** The program being run (bin/tslab or bin/tslab-runtime take different argv), else bin/tslab. */
function currentBin(): string {
  const running = process.argv[1];
  return running && /(^|\/)tslab(-runtime)?$/.test(running) ? running : tslabBin();
}

function isInteractive(): boolean {
  return process.stdout.isTTY === true && process.stdin.isTTY === true;
}

/**
 * Runs a tslab command (argv as given to bin/tslab, e.g. ['oci', 'run', '--bundle', B, id]) as a
 * child and shows its trace: live with step=false, stepping with step=true. Resolves to the child's
 * exit code (128+n when it died of signal n).
 */
export async function runUnderTui(argv: readonly string[], opts: RunUnderTuiOptions): Promise<number> {
  if (process.env[ENV.EVENTS_FD] !== undefined || process.env[ENV.CONTROL_FD] !== undefined) {
    throw new Error('already running under a tslab TUI: --tui/--step cannot nest');
  }
  const args = stripTuiFlags(argv);
  const command = [...(opts.command ?? [process.execPath, currentBin()]), ...args];
  const title = opts.title ?? `tslab ${args.join(' ')}`;
  const write = opts.write ?? ((s: string) => void process.stderr.write(s));
  const plain = opts.plain ?? !isInteractive();
  if (plain) {
    if (opts.step) write('tslab: --step needs a terminal (stdin and stdout): running without stopping, one line per step\n');
    const source = new LiveSource({ command, stepping: false, ...(opts.env ? { env: opts.env } : {}) });
    return runPlain(source, write);
  }
  const source = new LiveSource({ command, stepping: opts.step, ...(opts.env ? { env: opts.env } : {}) });
  const result = await runInk(source, title);
  return exitStatus(result.code, result.signal);
}

/** Steps through a recorded trace as if it were live (`tslab trace view`). */
export async function runReplay(events: readonly TraceEvent[], opts: { title: string; write?: (s: string) => void; plain?: boolean }): Promise<number> {
  const plain = opts.plain ?? !isInteractive();
  if (plain) {
    const write = opts.write ?? ((s: string) => void process.stdout.write(s));
    for (const e of events) {
      const line = plainLine(e, { color: process.stdout.isTTY === true && !process.env.NO_COLOR });
      if (line !== undefined) write(line + '\n');
    }
    return 0;
  }
  await runInk(new ReplaySource(events), opts.title);
  return 0;
}

function runPlain(source: LiveSource, write: (s: string) => void): Promise<number> {
  const color = process.stderr.isTTY === true && !process.env.NO_COLOR;
  return new Promise((resolve) => {
    source.start({
      events: (batch) => {
        for (const e of batch) {
          const line = plainLine(e, { color });
          if (line !== undefined) write(line + '\n');
        }
      },
      output: (text, stream) => void (stream === 'stdout' ? process.stdout : process.stderr).write(text),
      exit: (code, signal) => resolve(exitStatus(code, signal)),
    });
  });
}

async function runInk(source: EventSource, title: string): Promise<TuiResult> {
  // React's development build is several times slower per frame; the TUI is not a React app under
  // development. Set before React is first loaded, hence the imports below are dynamic.
  process.env.NODE_ENV ??= 'production';
  const { render } = await loadInkForTerminal();
  const [{ default: React }, { App }] = await Promise.all([import('react'), import('./App.js')]);
  let result: TuiResult = { code: null, signal: null, output: [], quit: false };
  // A signal (the terminal closed: SIGHUP; kill: SIGTERM) stops the command, which cleans up all the
  // same; then nobody is left to press q, so the TUI ends as soon as the command has.
  let ended: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let leaving = false;
  let leave = (): void => {};
  let initPid: number | undefined; // as the TUI's model finds it: the stop may have to SIGKILL it
  const start = (handlers: SourceHandlers): void => source.start({
    ...handlers,
    events: (batch) => {
      for (const e of batch) if (e.stage === 'init' && e.pid > 1) initPid ??= e.pid;
      handlers.events(batch);
    },
    exit: (code, signal) => {
      ended = { code, signal };
      handlers.exit(code, signal);
      if (leaving) leave();
    },
  });
  // the source as it is, but for start(), which also tells us when the command ended
  const watched = new Proxy(source, {
    get: (target, prop) => {
      if (prop === 'start') return start;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const onSignal = (): void => {
    leaving = true;
    source.stop({ initPid });
    if (ended || source.kind === 'replay') leave();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // a closed terminal fails our writes (EIO) before or after its SIGHUP, and the lines we leave
  // below once the TUI is gone: never a crash nor a hang
  let shown = true;
  const ignoreGoneTerminal = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EIO' && err.code !== 'EPIPE') throw err;
    if (shown) onSignal();
  };
  process.stdout.on('error', ignoreGoneTerminal);
  process.stderr.on('error', ignoreGoneTerminal);
  try {
    const app = render(
      React.createElement(App, { source: watched, title, color: process.stdout.isTTY === true && !process.env.NO_COLOR, onDone: (r: TuiResult) => { result = r; } }),
      { exitOnCtrlC: false },
    );
    leave = () => {
      if (ended) result = { ...result, code: ended.code, signal: ended.signal };
      app.unmount();
    };
    await app.waitUntilExit();
  } finally {
    shown = false;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
  // The screen is gone with the TUI: leave what the command printed, and how it ended, in the terminal.
  if (result.output.length > 0) process.stdout.write(result.output.join('\n') + '\n');
  if (source.kind === 'live') {
    const how = result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`;
    process.stderr.write(`tslab: ${title}: ${how}${result.quit ? ' (quit from the TUI)' : ''}\n`);
  }
  return result;
}
