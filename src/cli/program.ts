// Builds the commander program from registrars, wires tracing, and turns errors into one line.
import { Command, CommanderError } from 'commander';
import { resolve } from 'node:path';
import { configureFromEnv } from '../tracer/tracer.js';
import { reportFailure } from './log.js';
import { adoptStdout, isGoneReader, writeOut } from './output.js';
import { VERSION, commit } from './version.js';
import { ENV } from '../env.js';

export type Registrar = (program: Command, binName: string) => void;

/** The first word of argv that is not an option (the value of --trace is not a word). */
export function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--trace') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * Calls `use` with process.stdout or process.stderr when it is first used. Node creates each on
 * first use, and a pipe or a terminal costs ~2 ms to create: a command that never writes to
 * stderr need not pay for it.
 */
function whenCreated(name: 'stdout' | 'stderr', use: (stream: NodeJS.WriteStream) => void): void {
  const node = Object.getOwnPropertyDescriptor(process, name);
  if (!node?.get || !node.configurable) {
    use(process[name]);
    return;
  }
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: node.enumerable,
    get(): NodeJS.WriteStream {
      const stream = node.get!.call(process) as NodeJS.WriteStream;
      Object.defineProperty(process, name, { configurable: true, enumerable: node.enumerable, get: node.get });
      use(stream);
      return stream;
    },
  });
}

export async function runProgram(argv: string[], binName: 'tslab' | 'tslab-runtime', registrars: Registrar[]): Promise<void> {
  // A reader that went away (`tslab lab list | head -1`, EPIPE) or a closed terminal (EIO) ends the
  // command quietly, not with a stack trace — unless the command listens for it itself: a lab or a
  // container in the foreground must still remove what it made (its SIGHUP handler does).
  for (const name of ['stdout', 'stderr'] as const) {
    whenCreated(name, (stream) => {
      if (name === 'stdout') adoptStdout(stream);
      stream.on('error', (err: NodeJS.ErrnoException) => {
        if (!isGoneReader(err)) throw err;
        if (stream.listenerCount('error') > 1) return;
        process.exit(0);
      });
    });
  }
  const program = new Command(binName);
  program
    .description(binName === 'tslab'
      ? 'tslab: a traced container runtime, a TUI and labs for learning Linux containers'
      : 'tslab-runtime: an OCI runtime with runc\'s command line, every step traced')
    .option('--trace <file>', 'write every trace event of this command to FILE (JSON lines)')
    .exitOverride()
    // --version and --help print without creating process.stdout (src/cli/output.ts)
    .configureOutput({ writeOut, writeErr: (s) => process.stderr.write(s) });
  if (binName === 'tslab') {
    // the commit is read from .git only when it is printed: -V before any command word
    const printed = commandWord(argv) === undefined && argv.some((a) => a === '-V' || a === '--version');
    program.version(`tslab version ${VERSION}${printed ? `\ncommit: ${process.env[ENV.COMMIT] ?? commit()}` : ''}`, '-V, --version');
  }
  for (const register of registrars) register(program, binName);

  let closeTrace: () => void = () => {};
  program.hook('preAction', (thisCommand) => {
    const opts = thisCommand.optsWithGlobals() as { trace?: string };
    // the runtime and the init are child processes: they append to the same file through TSLAB_TRACE
    if (opts.trace) process.env[ENV.TRACE] = resolve(opts.trace);
    closeTrace = configureFromEnv(process.env, opts.trace);
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
      return;
    }
    reportFailure(err, binName);
  } finally {
    closeTrace();
  }
}
