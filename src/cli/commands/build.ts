// `tslab image build` (also `tslab build`): a Dockerfile → an OCI image in the store, each RUN a
// container of the engine (src/build).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError, requireRoot } from '../../errors.js';
import { collect } from '../../container/options.js';
import { writeOut } from '../output.js';

interface BuildFlags {
  file?: string;
  tag?: string[];
  buildArg?: string[];
  cache: boolean;
  target?: string;
  runtime?: string;
  network: string;
  quiet?: boolean;
}

function buildArgs(list: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq === 0) throw new UsageError(`--build-arg "${a}": use NAME=VALUE (or NAME to take it from the environment)`);
    if (eq < 0) {
      const v = process.env[a];
      if (v !== undefined) out[a] = v;
    } else {
      out[a.slice(0, eq)] = a.slice(eq + 1);
    }
  }
  return out;
}

function define(cmd: Command): Command {
  return cmd
    .description('build an image from a Dockerfile: every RUN is a container, every change a layer')
    .argument('<context>', 'the folder whose files COPY and ADD see (its .dockerignore applies)')
    .option('-f, --file <Dockerfile>', 'the Dockerfile (default CONTEXT/Dockerfile)')
    .option('-t, --tag <name>', 'name the image (repeatable)', collect)
    .option('--build-arg <NAME=VALUE>', 'set a build argument declared with ARG (repeatable)', collect)
    .option('--no-cache', 'run every step again instead of reusing cached layers')
    .option('--target <stage>', 'build up to this stage (FROM … AS stage)')
    .option('--runtime <path>', 'OCI runtime for RUN steps (default: bin/tslab-runtime)')
    .option('--network <mode>', 'network of RUN steps: host, none or a tslab network', 'host')
    .option('-q, --quiet', 'print only the image ID')
    .action(async (context: string, flags: BuildFlags, command: Command) => {
      requireRoot('tslab image build');
      // --trace FILE: the runtimes of the RUN steps append their steps to the same file
      const trace = (command.optsWithGlobals() as { trace?: string }).trace;
      if (trace) process.env.TSLAB_TRACE = resolve(trace);
      // the builder loads only for a build, not for every `tslab image …` (commands/index.ts)
      const [{ buildImage }, { createBuildProgress }] = await Promise.all([import('../../build/builder.js'), import('../../build/progress.js')]);
      const progress = createBuildProgress(process.stderr, flags.quiet ?? false);
      const result = await buildImage({
        context, ...(flags.file ? { dockerfile: flags.file } : {}), tags: flags.tag ?? [], buildArgs: buildArgs(flags.buildArg),
        noCache: !flags.cache, ...(flags.target ? { target: flags.target } : {}), ...(flags.runtime ? { runtime: flags.runtime } : {}),
        network: flags.network, progress, output: flags.quiet ? nowhere() : process.stderr,
      });
      if (!flags.quiet) progress.note(`built ${result.names.join(', ')}: ${result.steps} steps, ${result.cached} cached`);
      writeOut(`${result.configDigest}\n`);
    });
}

/** -q: RUN's output is dropped (docker -q shows it only when the build fails). */
function nowhere(): NodeJS.WritableStream {
  return { write: () => true } as unknown as NodeJS.WritableStream;
}

export function registerBuild(program: Command, binName: string): void {
  if (binName !== 'tslab') return;
  const image = program.commands.find((c) => c.name() === 'image');
  if (image) define(image.command('build'));
  define(program.command('build'));
}
