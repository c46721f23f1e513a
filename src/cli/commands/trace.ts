// `tslab trace view|export|report FILE`: look at a recorded trace (`--trace FILE` of any command).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseTrace, type TraceEvent } from '../../tracer/event.js';
import { UsageError } from '../../errors.js';

function readTrace(file: string): TraceEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read trace ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let events: TraceEvent[];
  try {
    events = parseTrace(text);
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
  if (events.length === 0) throw new UsageError(`${file} holds no trace events`);
  return events;
}

/** `tslab trace … | head` closes stdout early: that is the reader's choice, not an error. */
function quietOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

export function registerTrace(program: Command, binName: string): void {
  if (binName !== 'tslab') return; // tslab-runtime keeps runc's command line
  const trace = program.command('trace').description('replay, export and report recorded traces (write one with --trace FILE)');

  trace.command('view')
    .description('step through a recorded trace in the TUI as if it were live (plain lines when not on a terminal)')
    .argument('<file>', 'trace file (JSON lines)')
    .option('--plain', 'print one line per step instead of the TUI')
    .action(async (file: string, opts: { plain?: boolean }) => {
      const events = readTrace(file);
      quietOnClosedStdout();
      const { runReplay } = await import('../../tui/run.js');
      process.exitCode = await runReplay(events, { title: `trace view ${basename(file)}`, ...(opts.plain ? { plain: true } : {}) });
    });

  trace.command('export')
    .description('write the trace as an asciicast v2 recording (markers per lifecycle step) or a Chrome/Perfetto trace')
    .requiredOption('--format <format>', 'asciicast or chrome')
    .argument('<file>', 'trace file (JSON lines)')
    .option('-o, --output <out>', 'write to OUT instead of stdout')
    .option('--pace <seconds>', 'asciicast: seconds between lines instead of the real timing')
    .option('--title <title>', 'title stored in the output')
    .action(async (file: string, opts: { format: string; output?: string; pace?: string; title?: string }) => {
      const events = readTrace(file);
      const title = opts.title ?? basename(file);
      let text: string;
      if (opts.format === 'asciicast') {
        const pace = opts.pace !== undefined ? Number(opts.pace) : undefined;
        if (pace !== undefined && !(pace > 0)) throw new UsageError(`--pace ${opts.pace}: give a number of seconds above 0`);
        const { toAsciicast, formatAsciicast } = await import('../../trace-export/asciicast.js');
        text = formatAsciicast(toAsciicast(events, { title, ...(pace !== undefined ? { pace } : {}) }));
      } else if (opts.format === 'chrome') {
        const { toChromeTrace } = await import('../../trace-export/chrome.js');
        text = JSON.stringify(toChromeTrace(events, title)) + '\n';
      } else {
        throw new UsageError(`--format ${opts.format}: use asciicast or chrome`);
      }
      if (opts.output) writeFileSync(opts.output, text);
      else {
        quietOnClosedStdout();
        process.stdout.write(text);
      }
    });

  trace.command('report')
    .description('write a self-contained HTML folder: the recording in asciinema-player, a timeline and the steps explained')
    .argument('<file>', 'trace file (JSON lines)')
    .requiredOption('-o, --output <dir>', 'folder to write (created if missing)')
    .option('--title <title>', 'page title')
    .action(async (file: string, opts: { output: string; title?: string }) => {
      const events = readTrace(file);
      const { writeReport } = await import('../../trace-export/report.js');
      const written = writeReport(events, opts.output, { title: opts.title ?? `tslab trace ${basename(file)}` });
      process.stdout.write(`${resolve(written.index)}\n`);
    });
}
