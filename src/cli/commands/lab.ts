// Lab commands: `tslab run <lab>` narrates one lab, `tslab test [LAB…]` runs labs headless for CI,
// `tslab lab list` shows them all, `tslab lab gc` cleans up after runs whose runner died. The
// runner, the clean-up and the HTML report load in the actions that use them (commands/index.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { requireRoot, UsageError } from '../../errors.js';
import { labsRoot, resolveLab, selectLabs, type LabRef } from '../../labs/catalog.js';
import { loadCourse } from '../../labs/course.js';
import { DEFAULT_PREFIX, findLabContainer, runningLabs } from '../../labs/status.js';
import { markCompleted, progressFile, readProgress } from '../../labs/progress.js';
import { labPassed, type LabResult } from '../../labs/events.js';
import { LabTitles } from '../../labs/title-index.js';
import { resolveRuntime } from '../../oci/runtime-cli.js';
import { ENV } from '../../env.js';
import type { RuntimeRun } from '../../labs/reporters/matrix.js';
import { writeOut } from '../output.js';

// the reporters, the pause prompts and the cgroups load in the actions that use them: `lab list`
// needs none of them

interface RunOptions { runtime?: string; namePrefix: string; pause?: boolean; steps?: boolean; plain?: boolean; next?: boolean; step?: boolean; solve?: boolean }
interface TestOptions { runtime: string[]; namePrefix: string; reporter: string; output?: string; report?: string; jobs: string; resultFile?: string }

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Ctrl-C (or SIGTERM, or SIGHUP when the terminal closes) stops a lab before its next command or check
 * and still removes its containers; a second one exits at once. A closed stdout (`| head`) or a hung-up
 * terminal (EIO) must not kill the run before cleanup either.
 */
function interruptible(): { signal: AbortSignal; abort: () => void; done: () => void; taskSkip: () => AbortSignal; taskDone: () => void } {
  const controller = new AbortController();
  // while a task waits for the student, Ctrl-C skips the task instead of stopping the lab
  let skip: AbortController | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (skip && !skip.signal.aborted && sig === 'SIGINT') {
      skip.abort();
      skip = undefined;
      process.stderr.write('\ntslab: task skipped (Ctrl-C again stops the lab)\n');
      return;
    }
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
    taskSkip: () => {
      skip = new AbortController();
      return skip.signal;
    },
    taskDone: () => { skip = undefined; },
    done: () => {
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    },
  };
}

/** Removes what earlier runs left when their runner died, and says so. */
async function sweep(prefix: string): Promise<void> {
  for (const what of await (await import('../../labs/gc.js')).collectStaleRuns(prefix)) {
    process.stderr.write(`tslab: removed what an interrupted lab run left: ${what}
`);
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
    .argument('[lab]', 'a lab folder (labs/namespaces/pid-namespace) or a unique name (pid-namespace)')
    .option('--next', 'the first lab of the course you have not completed yet (tslab lab list shows the course)')
    .option('--runtime <runtime>', 'runc-compatible runtime: a path, or runc, crun, tslab (ours); default $TSLAB_LAB_RUNTIME or tslab', process.env[ENV.LAB_RUNTIME] ?? 'tslab')
    .option('--name-prefix <prefix>', 'prefix of container ids, cgroups and scratch folders', DEFAULT_PREFIX)
    .option('--pause', 'wait for Enter before each step (for a workshop; needs a terminal)')
    .option('--steps', 'show every traced step of the runtime (tslab\'s runtime traces, runc does not)')
    .option('--step', 'in a terminal, stop at every traced step of each container\'s creation (default: at the lab\'s key steps)')
    .option('--plain', 'plain lines even in a terminal (the default when stdout or stdin is not a terminal)')
    .option('--solve', 'do each task with its reference solution instead of waiting for you (a demonstration; the default without a terminal)')
    .action(async (labArg: string | undefined, opts: RunOptions) => {
      requireRoot('tslab run');
      const ref = pickLab(labArg, opts.next === true);
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
            stepping: opts.step === true ? 'all' : 'keys',
            tasks: opts.solve === true ? 'solution' : 'student', taskSkip: stop.taskSkip, taskDone: stop.taskDone,
          });
          recordOutcome(result);
        } finally {
          stop.done();
        }
        return;
      }
      if (opts.step) process.stderr.write('tslab: --step needs a terminal (stdin and stdout): running without stopping\n');
      const color = process.stdout.isTTY === true;
      const interactive = opts.pause === true && process.stdin.isTTY === true;
      const rl = interactive ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;
      const { narrateSink } = await import('../../labs/reporters/narrate.js');
      const { pausePrompts } = await import('../../labs/pause.js');
      const narrate = narrateSink((s) => process.stdout.write(s), { color, steps: opts.steps });
      const { runLab } = await import('../../labs/runner.js');
      try {
        const result = await runLab(ref, {
          signal: stop.signal,
          runtime,
          prefix,
          sink: (e) => {
            if (e.type === 'check') stop.taskDone();
            narrate(e);
          },
          // a student at a terminal does the tasks; without one (or with --solve), their reference solutions run
          ...(process.stdin.isTTY === true && opts.solve !== true ? { tasks: 'student' as const, taskSkip: stop.taskSkip } : {}),
          // a signal ends the wait for Enter, so the run goes on to remove its containers
          ...(rl ? pausePrompts((prompt) => rl.question(`\n   (${prompt}) `, { signal: stop.signal }).then(() => undefined, () => undefined)) : {}),
        });
        recordOutcome(result);
      } finally {
        rl?.close();
        stop.done();
      }
    });

  program.command('test')
    .description('run labs headless (CI): exit 1 when a check fails or a lab cannot run')
    .argument('[labs...]', 'lab folders, lab paths or names (default: every lab under labs/)')
    .option('--runtime <runtime>', 'runc-compatible runtime: a path, or runc, crun, tslab (ours); repeat it to compare runtimes check by check; default $TSLAB_LAB_RUNTIME or tslab',
      (value: string, previous: string[]) => [...previous, value], [] as string[])
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
      const labels = opts.runtime.length > 0 ? [...new Set(opts.runtime)] : [process.env[ENV.LAB_RUNTIME] ?? 'tslab'];
      const runtimes = labels.map((label) => ({ label, path: resolveRuntime(label) }));
      const prefix = checkPrefix(opts.namePrefix);
      if (!opts.resultFile) await sweep(prefix);
      const runs: RuntimeRun[] = [];
      const matrix = runtimes.length > 1;
      const progress = opts.reporter !== 'plain' || opts.output !== undefined || matrix;
      const stop = interruptible();
      for (const { label, path } of runtimes) {
        const run: RuntimeRun = { label, results: [] };
        runs.push(run);
        const say = (result: LabResult): void => {
          if (!progress) return;
          const pass = result.checks.filter((c) => c.status === 'pass').length;
          const state = result.skipped ? 'SKIP' : labPassed(result) ? 'PASS' : 'FAIL';
          process.stderr.write(`${state} ${matrix ? `[${label}] ` : ''}${result.ref.id} (${pass}/${result.checks.length} checks)${result.error ? `: ${result.error}` : ''}\n`);
        };
        if (jobs > 1 && refs.length > 1) {
          const { runLabsInParallel } = await import('../../labs/parallel.js');
          run.results = await runLabsInParallel(refs, { jobs, runtime: path, prefix, signal: stop.signal, onResult: say });
        } else {
          const { runLab } = await import('../../labs/runner.js');
          for (const ref of refs) {
            if (stop.signal.aborted) break;
            const result = await runLab(ref, { runtime: path, prefix, signal: stop.signal });
            run.results.push(result);
            say(result);
          }
        }
      }
      stop.done();
      const results = runs.flatMap((r) => r.results);
      if (opts.resultFile) {
        writeFileSync(opts.resultFile, JSON.stringify(results));
        return;
      }
      const [{ plainReport, totals }, { tapReport }, { junitReport }, { matrixJunit, matrixText }] = await Promise.all([
        import('../../labs/reporters/summary.js'), import('../../labs/reporters/tap.js'),
        import('../../labs/reporters/junit.js'), import('../../labs/reporters/matrix.js'),
      ]);
      const report = opts.reporter === 'tap' ? tapReport(results)
        : opts.reporter === 'junit' ? (matrix ? matrixJunit(runs) : junitReport(results))
        : matrix ? `${runs.map((r) => `== runtime ${r.label}\n${plainReport(r.results)}`).join('\n')}\n${matrixText(runs)}` : plainReport(results);
      if (opts.output) {
        mkdirSync(dirname(opts.output), { recursive: true });
        writeFileSync(opts.output, report);
        process.stderr.write(`${totals(results)}\n`);
        // the side-by-side view is the point of several runtimes: print it whatever the file holds
        if (matrix) writeOut(matrixText(runs));
      } else writeOut(report);
      if (opts.report) {
        // the HTML report brings the trace export and every explanation: only when asked for
        const { writeHtmlReports, writeMatrixHtml } = await import('../../labs/reporters/html.js');
        if (matrix) writeMatrixHtml(runs, opts.report);
        else writeHtmlReports(results, opts.report);
      }
      if (results.some((r) => !r.skipped && !labPassed(r))) process.exitCode = 1;
    });

  const lab = program.command('lab').description('the labs: list them, clean up after interrupted runs');
  lab.command('gc')
    .description('delete containers, mounts and folders of lab runs whose runner died')
    .option('--name-prefix <prefix>', 'prefix of the runs to look at', DEFAULT_PREFIX)
    .action(async (opts: { namePrefix: string }) => {
      requireRoot('tslab lab gc');
      const removed = await (await import('../../labs/gc.js')).collectStaleRuns(checkPrefix(opts.namePrefix));
      writeOut(removed.length ? `${removed.map((d) => `removed ${d}`).join('\n')}\n` : 'nothing to remove\n');
    });
  lab.command('status')
    .description('the labs running now (tslab run) and their containers')
    .option('--name-prefix <prefix>', 'prefix of the runs to look at', DEFAULT_PREFIX)
    .action((opts: { namePrefix: string }) => {
      const runs = runningLabs(checkPrefix(opts.namePrefix));
      if (runs.length === 0) {
        writeOut('no lab is running (tslab run LAB starts one)\n');
        return;
      }
      for (const r of runs) {
        writeOut(`${r.lab}: ${r.title} (runner pid ${r.runner})\n`);
        for (const c of r.containers) writeOut(`  ${c.name}  ${c.id}  host pid ${c.pid}  (tslab lab shell ${r.lab} ${c.name})\n`);
      }
    });
  lab.command('shell')
    .description('open a shell in a running lab\'s container (its namespaces, root and cgroups), e.g. for a task')
    .argument('<lab>', 'the running lab (tslab lab status shows them)')
    .argument('[container]', 'the lab\'s container (default: its first)')
    .option('--name-prefix <prefix>', 'prefix of the lab run', DEFAULT_PREFIX)
    .action(async (labArg: string, container: string | undefined, opts: { namePrefix: string }) => {
      requireRoot('tslab lab shell');
      const found = findLabContainer(checkPrefix(opts.namePrefix), labArg, container);
      process.stderr.write(`tslab: a shell in container ${found.name} of lab ${found.run.lab} (exit or Ctrl-D to leave)\n`);
      const { shellInside } = await import('../../container/shell.js');
      const { cgroupOf } = await import('../../runtime/cgroups/index.js');
      process.exitCode = await shellInside(found.pid, cgroupOf(found.pid).procsFiles(), `[${found.run.lab.split('/').pop()} ${found.name}] # `);
    });
  lab.command('list')
    .description('the labs in course order: number, id, title, and ✓ for the ones you completed')
    .option('--dir <dir>', 'where the labs are', undefined)
    .action(async (opts: { dir?: string }) => {
      const root = opts.dir ?? labsRoot();
      // the labs and the titles of unchanged shipped labs from the build's index, the others by loading them
      const titles = new LabTitles();
      const course = loadCourse(root, titles.labsUnder(root));
      const done = readProgress().labs;
      const width = Math.max(0, ...course.map((c) => c.ref.id.length));
      // one write for the lines ready, before each lab that must be loaded (slow) and at the end
      let lines = '';
      const flush = (): void => {
        writeOut(lines);
        lines = '';
      };
      let area: string | undefined;
      for (const entry of course) {
        if (entry.area !== area) {
          area = entry.area;
          lines += `${area}\n`;
        }
        let title = titles.indexed(entry.ref);
        if (title === undefined) {
          flush();
          try {
            title = await titles.titleOf(entry.ref);
          } catch (err) {
            title = `(cannot load: ${(err as Error).message})`;
            process.exitCode = 1;
          }
        }
        const todo = entry.requires.filter((r) => !done[r]);
        const after = todo.length && !done[entry.ref.id] ? `  (after ${todo.join(', ')})` : '';
        lines += `${String(entry.number).padStart(3)} ${done[entry.ref.id] ? '✓' : ' '} ${entry.ref.id.padEnd(width)}  ${title}${after}\n`;
      }
      flush();
    });
}

/** The lab named on the command line, or with --next the first of the course not completed yet. */
function pickLab(labArg: string | undefined, next: boolean): LabRef {
  if (next && labArg) throw new UsageError('tslab run: give a lab or --next, not both');
  if (!next) {
    if (!labArg) throw new UsageError('tslab run: name a lab (tslab lab list shows them) or use --next');
    return resolveLab(labArg);
  }
  const done = readProgress().labs;
  const entry = loadCourse().find((c) => !done[c.ref.id]);
  if (!entry) throw new UsageError(`you have completed every lab of the course (progress: ${progressFile()})`);
  process.stderr.write(`tslab: next in the course: ${entry.number}. ${entry.ref.id}\n`);
  return entry.ref;
}

/** Exit status, and the course's record of a lab passed in full. */
function recordOutcome(result: LabResult): void {
  if (result.skipped) return;
  if (!labPassed(result)) {
    process.exitCode = 1;
    return;
  }
  try {
    markCompleted(result.ref.id, basename(result.runtime));
  } catch (err) {
    process.stderr.write(`tslab: could not record your progress in ${progressFile()}: ${(err as Error).message}\n`);
  }
}
