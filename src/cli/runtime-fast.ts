// The fast entry of bin/tslab-runtime, bundled alone into dist/runtime-calls.cjs: the calls engines
// make on every container (state, start, kill, delete, pause, resume, and create and run) in the
// exact forms they use, without loading commander and the rest of the runtime (half of the full
// bundle, tens of ms per call on a busy machine). Anything else — help, other commands, an option
// it does not know, run --step/--tui — is left to the full program (dist/runtime.cjs), which gives
// the same result and the usual errors.
import { resolve } from 'node:path';
import { configureFromEnv } from '../tracer/tracer.js';
import { DEFAULT_ROOT } from '../runtime/state.js';
import { ENV } from '../env.js';
import { reportFailure, setLog } from './log.js';
import { HOT_CALLS, runCall, type CallArgs, type HotCall } from './runtime-calls.js';
import type { RunArgs } from './runtime-create.js';

/** Global options engines pass before the command: those with a value, and runc's accepted flags. */
const WITH_VALUE = new Set(['--root', '--log', '--log-format', '--trace', '--rootless', '--criu']);
const FLAGS = new Set(['--systemd-cgroup', '--debug']);
type Call = HotCall | 'create' | 'run';
const CALLS: readonly Call[] = [...HOT_CALLS, 'create', 'run'];
type Key = 'all' | 'force' | 'detach' | 'keep' | 'bundle' | 'pidFile' | 'consoleSocket' | 'ignored';
/** runc's options that tslab accepts and ignores */
const IGNORED: Record<string, Key> = { '--no-pivot': 'ignored', '--no-new-keyring': 'ignored' };
const CREATE: Record<string, Key> = { '-b': 'bundle', '--bundle': 'bundle', '--pid-file': 'pidFile', '--console-socket': 'consoleSocket', ...IGNORED };
/** Each call's own options (those of WITH_VALUES take one). */
const CALL_OPTIONS: Record<Call, Record<string, Key>> = {
  state: {}, start: {}, pause: {}, resume: {}, kill: { '-a': 'all', '--all': 'all' }, delete: { '-f': 'force', '--force': 'force' },
  create: { ...CREATE, '--preserve-fds': 'ignored' },
  run: { ...CREATE, '-d': 'detach', '--detach': 'detach', '--keep': 'keep' },
};
const WITH_VALUES = new Set(['-b', '--bundle', '--pid-file', '--console-socket', '--preserve-fds']);

type Args = Omit<CallArgs, 'root' | 'binName'> & Partial<Omit<RunArgs, 'root' | 'binName' | 'id'>>;

interface Parsed {
  call: Call;
  globals: Map<string, string>;
  args: Args;
}

/** argv in a form the fast entry serves, or undefined for the full program. */
export function parseHotCall(argv: string[]): Parsed | undefined {
  const globals = new Map<string, string>();
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const [name, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (FLAGS.has(name) && inline === undefined) continue;
    if (!WITH_VALUE.has(name)) return undefined;
    const value = inline ?? argv[++i];
    if (value === undefined) return undefined;
    globals.set(name, value);
  }
  const call = argv[i++] as Call;
  if (!CALLS.includes(call)) return undefined;
  const args: Args = { id: '' };
  const positional: string[] = [];
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.startsWith('--') ? a.split(/=(.*)/s, 2) as [string, string | undefined] : [a, undefined];
    const key = CALL_OPTIONS[call][name];
    if (!key) return undefined;
    if (WITH_VALUES.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) return undefined;
      if (key !== 'ignored') args[key as 'bundle' | 'pidFile' | 'consoleSocket'] = value;
    } else {
      if (inline !== undefined) return undefined;
      if (key !== 'ignored') args[key as 'all' | 'force' | 'detach' | 'keep'] = true;
    }
  }
  const max = call === 'kill' ? 2 : 1;
  if (positional.length < 1 || positional.length > max) return undefined;
  args.id = positional[0]!;
  if (call === 'kill') args.signal = positional[1];
  return { call, globals, args };
}

/** Runs argv if it is a hot call; false when the full program must. */
export async function main(argv: string[], binName = 'tslab-runtime'): Promise<boolean> {
  const parsed = parseHotCall(argv);
  if (!parsed) return false;
  const g = parsed.globals;
  setLog(g.get('--log'), g.get('--log-format'));
  const trace = g.get('--trace');
  // as in the full program: a process the runtime starts appends to the same file
  if (trace) process.env[ENV.TRACE] = resolve(trace);
  const closeTrace = configureFromEnv(process.env, trace);
  try {
    const a = { ...parsed.args, root: resolve(g.get('--root') ?? DEFAULT_ROOT), binName };
    if (parsed.call === 'create' || parsed.call === 'run') {
      // behind import(): the hot calls do not run create's modules (esbuild's lazy wrapper)
      const { createFromCli, runFromCli } = await import('./runtime-create.js');
      const withBundle = { ...a, bundle: a.bundle ?? '.' };
      if (parsed.call === 'create') await createFromCli(withBundle);
      else process.exitCode = await runFromCli(withBundle);
    } else {
      await runCall(parsed.call, a);
    }
  } catch (err) {
    reportFailure(err, binName);
  } finally {
    closeTrace();
  }
  return true;
}
