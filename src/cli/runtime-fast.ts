// The fast entry of bin/tslab-runtime, bundled alone into dist/runtime-calls.cjs: the calls engines
// make on every container (state, start, kill, delete, pause, resume) in the exact forms they use,
// without loading commander and the rest of the runtime (half of the full bundle, tens of ms per
// call on a busy machine). Anything else — help, other commands, an option it does not know — is
// left to the full program (dist/runtime.cjs), which gives the same result and the usual errors.
import { resolve } from 'node:path';
import { configureFromEnv } from '../tracer/tracer.js';
import { DEFAULT_ROOT } from '../runtime/state.js';
import { reportFailure, setLog } from './log.js';
import { HOT_CALLS, runCall, type CallArgs, type HotCall } from './runtime-calls.js';

/** Global options engines pass before the command: those with a value, and runc's accepted flags. */
const WITH_VALUE = new Set(['--root', '--log', '--log-format', '--trace', '--rootless', '--criu']);
const FLAGS = new Set(['--systemd-cgroup', '--debug']);
/** Each call's own flags. */
const CALL_FLAGS: Record<HotCall, Record<string, 'all' | 'force'>> = {
  state: {}, start: {}, pause: {}, resume: {}, kill: { '-a': 'all', '--all': 'all' }, delete: { '-f': 'force', '--force': 'force' },
};

interface Parsed {
  call: HotCall;
  globals: Map<string, string>;
  args: Omit<CallArgs, 'root' | 'binName'>;
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
  const call = argv[i++] as HotCall;
  if (!HOT_CALLS.includes(call)) return undefined;
  const args: Parsed['args'] = { id: '' };
  const positional: string[] = [];
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('-')) {
      const flag = CALL_FLAGS[call][a];
      if (!flag) return undefined;
      args[flag] = true;
    } else {
      positional.push(a);
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
  const closeTrace = configureFromEnv(process.env, g.get('--trace'));
  try {
    await runCall(parsed.call, { ...parsed.args, root: resolve(g.get('--root') ?? DEFAULT_ROOT), binName });
  } catch (err) {
    reportFailure(err, binName);
  } finally {
    closeTrace();
  }
  return true;
}
