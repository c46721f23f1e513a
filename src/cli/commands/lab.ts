// Lab commands: `tslab run <lab>` narrates one lab, `tslab test [LAB…]` runs labs headless for CI,
// `tslab lab list` shows them all, `tslab lab gc` cleans up after runs whose runner died.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { requireRoot, UsageError } from '../../errors.js';
import { findLabs, labsRoot, resolveLab, selectLabs } from '../../labs/catalog.js';
import { labPassed, type LabResult } from '../../labs/events.js';
import { loadLab } from '../../labs/load.js';
import { narrateSink } from '../../labs/reporters/narrate.js';
import { plainReport, totals } from '../../labs/reporters/summary.js';
import { tapReport } from '../../labs/reporters/tap.js';
import { junitReport } from '../../labs/reporters/junit.js';
import { writeHtmlReports } from '../../labs/reporters/html.js';
import { DEFAULT_PREFIX, runLab } from '../../labs/runner.js';
import { collectStaleRuns } from '../../labs/gc.js';
import { resolveRuntime } from '../../labs/runtime-cli.js';

interface RunOptions { runtime?: string; namePrefix: string; pause?: boolean; steps?: boolean; plain?: boolean }
interface TestOptions { runtime?: string; namePrefix: string; reporter: string; output?: string; report?: string; jobs: string; resultFile?: string }

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Ctrl-C (or SIGTERM, or SIGHUP when the terminal closes) stops a lab before its next command or check
 * and still removes its containers; a second one exits at once. A closed stdout (`| head`) or a hung-up
 * terminal (EIO) must not kill the run before cleanup either.
 */
function interruptible(): { signal: AbortSignal; abort: () => void; done: () => void } {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\ntslab: ${sig}: stopping after the current command and removing the lab's containers (again to quit at once)\n`);
    controller.abort();
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  const ignoreGoneOutput = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
  };
  process.stdout.on('error', ignoreGoneOutput);
  process.stderr.on('error', ignoreGoneOutput);
  return {
    signal: controller.signal,
    abort: () => onSignal('SIGINT'),
    done: () => {
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    },
  };
}

/** Removes what earlier runs left when their runner died, and says so. */
async function sweep(prefix: string): Promise<void> {
  for (const dir of await collectStaleRuns(prefix)) {
    process.stderr.write(`tslab: removed the containers and mounts of an interrupted lab run (${dir})\n`);
  }
}

function checkPrefix(prefix: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(prefix)) throw new UsageError(`--name-prefix "${prefix}": use lower-case letters, digits and dashes`);
  return prefix;
}

export function registerLab(program: Command, binName: string): void {
  if (binName !== 'tslab') return;

  program.command('run')
    .description('run one lab, narrated: its steps, their commands and output, and the checks')
    .argument('<lab>', 'a lab folder (labs/namespaces/pid-namespace) or a unique name (pid-namespace)')
    .option('--runtime <runtime>', 'runc-compatible runtime: a path, or runc, crun, tslab (ours); default $TSLAB_LAB_RUNTIME or tslab', process.env.TSLAB_LAB_RUNTIME ?? 'tslab')
    .option('--name-prefix <prefix>', 'prefix of container ids, cgroups and scratch folders', DEFAULT_PREFIX)
    .option('--pause', 'wait for Enter before each step (for a workshop; needs a terminal)')
    .option('--steps', 'show every traced step of the runtime (tslab\'s runtime traces, runc does not)')
    .option('--plain', 'plain lines even in a terminal (the default when stdout or stdin is not a terminal)')
    .action(async (labArg: string, opts: RunOptions) => {
      requireRoot('tslab run');
      const ref = resolveLab(labArg);
      const runtime = resolveRuntime(opts.runtime);
      const prefix = checkPrefix(opts.namePrefix);
      await sweep(prefix);
      const stop = interruptible();
      const tui = process.stdout.isTTY === true && process.stdin.isTTY === true && opts.plain !== true;
      if (tui) {
        try {
          // the TUI (ink, react) loads only here
          await (await import('../../tui/load-ink.js')).loadInkForTerminal();
          const { runLabInTui } = await import('../../labs/tui/run.js');
          const result = await runLabInTui(ref, {
            runtime, prefix, pause: opts.pause === true, steps: opts.steps === true, signal: stop.signal, stop: stop.abort,
          });
          if (!labPassed(result) && !result.skipped) process.exitCode = 1;
        } finally {
          stop.done();
        }
        return;
      }
      const color = process.stdout.isTTY === true;
      const interactive = opts.pause === true && process.stdin.isTTY === true;
      const rl = interactive ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;
      try {
        const result = await runLab(ref, {
          signal: stop.signal,
          runtime,
          prefix,
          sink: narrateSink((s) => process.stdout.write(s), { color, steps: opts.steps }),
          // a signal ends the wait for Enter, so the run goes on to remove its containers
          beforeStep: rl ? async (i) => { if (i > 0) await rl.question('\n   (Enter for the next step) ', { signal: stop.signal }).catch(() => undefined); } : undefined,
        });
        if (!labPassed(result) && !result.skipped) process.exitCode = 1;
      } finally {
        rl?.close();
        stop.done();
      }
    });

  program.command('test')
    .description('run labs headless (CI): exit 1 when a check fails or a lab cannot run')
    .argument('[labs...]', 'lab folders, lab paths or names (default: every lab under labs/)')
    .option('--runtime <runtime>', 'runc-compatible runtime: a path, or runc, crun, tslab (ours); default $TSLAB_LAB_RUNTIME or tslab', process.env.TSLAB_LAB_RUNTIME ?? 'tslab')
    .option('--reporter <format>', 'plain | tap | junit', 'plain')
    .option('--output <file>', 'write the report to FILE instead of stdout')
    .option('--report <dir>', 'also write an HTML report per lab into DIR')
    .option('--name-prefix <prefix>', 'prefix of container ids, cgroups and scratch folders', DEFAULT_PREFIX)
    .option('-j, --jobs <n>', 'labs run at once, each in its own process; reported in the serial order (default: the number of CPUs)', String(availableParallelism()))
    .addOption(new Option('--result-file <file>', 'write the labs\' results as JSON instead of a report (what --jobs runs)').hideHelp())
    .action(async (labArgs: string[], opts: TestOptions) => {
      if (!['plain', 'tap', 'junit'].includes(opts.reporter)) throw new UsageError(`--reporter ${opts.reporter}: use plain, tap or junit`);
      const jobs = Number(opts.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs ${opts.jobs}: give a whole number of labs to run at once, 1 or more`);
      requireRoot('tslab test');
      const refs = selectLabs(labArgs);
      const runtime = resolveRuntime(opts.runtime);
      const prefix = checkPrefix(opts.namePrefix);
      if (!opts.resultFile) await sweep(prefix);
      const progress = opts.reporter !== 'plain' || opts.output !== undefined;
      const say = (result: LabResult): void => {
        if (!progress) return;
        const pass = result.checks.filter((c) => c.status === 'pass').length;
        const state = result.skipped ? 'SKIP' : labPassed(result) ? 'PASS' : 'FAIL';
        process.stderr.write(`${state} ${result.ref.id} (${pass}/${result.checks.length} checks)${result.error ? `: ${result.error}` : ''}\n`);
      };
      const stop = interruptible();
      let results: LabResult[] = [];
      if (jobs > 1 && refs.length > 1) {
        const { runLabsInParallel } = await import('../../labs/parallel.js');
        results = await runLabsInParallel(refs, { jobs, runtime, prefix, signal: stop.signal, onResult: say });
      } else {
        for (const ref of refs) {
          if (stop.signal.aborted) break;
          const result = await runLab(ref, { runtime, prefix, signal: stop.signal });
          results.push(result);
          say(result);
        }
      }
      stop.done();
      if (opts.resultFile) {
        writeFileSync(opts.resultFile, JSON.stringify(results));
        return;
      }
      const report = opts.reporter === 'tap' ? tapReport(results) : opts.reporter === 'junit' ? junitReport(results) : plainReport(results);
      if (opts.output) {
        mkdirSync(dirname(opts.output), { recursive: true });
        writeFileSync(opts.output, report);
        process.stderr.write(`${totals(results)}\n`);
      } else process.stdout.write(report);
      if (opts.report) writeHtmlReports(results, opts.report);
      if (results.some((r) => !r.skipped && !labPassed(r))) process.exitCode = 1;
    });

  const lab = program.command('lab').description('the labs: list them, clean up after interrupted runs');
  lab.command('gc')
    .description('delete containers, mounts and folders of lab runs whose runner died')
    .option('--name-prefix <prefix>', 'prefix of the runs to look at', DEFAULT_PREFIX)
    .action(async (opts: { namePrefix: string }) => {
      requireRoot('tslab lab gc');
      const removed = await collectStaleRuns(checkPrefix(opts.namePrefix));
      process.stdout.write(removed.length ? `${removed.map((d) => `removed ${d}`).join('\n')}\n` : 'nothing to remove\n');
    });
  lab.command('list')
    .description('every lab under labs/ with its title')
    .option('--dir <dir>', 'where the labs are', undefined)
    .action(async (opts: { dir?: string }) => {
      const root = opts.dir ?? labsRoot();
      const refs = findLabs(root, root);
      const width = Math.max(0, ...refs.map((r) => r.id.length));
      for (const ref of refs) {
        let title: string;
        try {
          title = (await loadLab(ref)).title;
        } catch (err) {
          title = `(cannot load: ${(err as Error).message})`;
          process.exitCode = 1;
        }
        process.stdout.write(`${ref.id.padEnd(width)}  ${title}\n`);
      }
    });
}
