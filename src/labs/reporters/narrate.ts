// `tslab run` without a TTY (and in a terminal until the lab view of the TUI exists): plain lines
// that narrate the lab, show each command and its output, and each check turning PASS or FAIL.
import type { LabEvent, LabSink } from '../events.js';
import { labPassed } from '../events.js';
import { plainLine } from '../../tui/plain.js';

const paint = (on: boolean, code: string, text: string): string => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

function wrap(text: string, width = 96, indent = '   '): string {
  const out: string[] = [];
  for (const para of text.trim().split(/\n\s*\n/)) {
    let line = '';
    for (const word of para.split(/\s+/)) {
      if (line && line.length + word.length + 1 > width) {
        out.push(indent + line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) out.push(indent + line);
    out.push('');
  }
  return out.join('\n').replace(/\n$/, '');
}

const indentLines = (text: string, prefix: string): string =>
  text.replace(/\n$/, '').split('\n').map((l) => `${prefix}${l}`).join('\n');

/** A seen value on one line, short enough to stay beside its check. */
export function sawText(seen: string, max = 80): string {
  let text = seen.trim();
  // the verdict helpers quote strings as JSON ("sleep"): beside a check the bare value reads better
  if (/^".*"$/s.test(text)) {
    try {
      text = String(JSON.parse(text));
    } catch {
      // not JSON after all: keep the quotes
    }
  }
  const one = text.trim().replace(/\s*\n\s*/g, ' ⏎ ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one || '(nothing)';
}

export interface NarrateOptions {
  color?: boolean;
  /** print every traced step of the runtime (tslab's runtime traces; runc and crun do not) */
  steps?: boolean;
}

export function narrateSink(write: (s: string) => void, options: NarrateOptions = {}): LabSink {
  const color = options.color ?? false;
  return (e: LabEvent) => {
    switch (e.type) {
      case 'trace': {
        // the container's traced lifecycle: state changes always, every step with --steps
        const shown = e.events.filter((ev) => options.steps || (ev.kind === 'lifecycle' && ev.phase === 'end') || (ev.phase === 'end' && ev.errno && !ev.expected));
        for (const ev of shown) {
          const line = plainLine(ev, { color });
          if (line !== undefined) write(`     ${line}\n`);
        }
        if (!options.steps) {
          const steps = e.events.filter((ev) => ev.phase === 'end' && ev.kind !== 'lifecycle').length;
          if (steps > 0) write(paint(color, '2', `     (${steps} traced steps; --steps shows them)\n`));
        }
        break;
      }
      case 'task': {
        write(`\n   ${paint(color, '1;35', 'YOUR TURN')} ${e.instruction}\n`);
        write(`     in ${e.where}:\n       ${paint(color, '1', e.command)}\n`);
        write(paint(color, '2', e.by === 'student'
          ? `     (waiting until it is done, up to ${Math.round(e.deadlineMs / 60_000) || 1} min; Ctrl-C skips the task)\n`
          : '     (no student here: running the task\'s reference solution)\n'));
        break;
      }
      case 'task-hint':
        write(`     ${paint(color, '33', 'hint')} (saw: ${sawText(e.seen)}) ${e.say}\n`);
        break;
      case 'lab-start':
        write(`${paint(color, '1', `Lab ${e.ref.id}: ${e.title}`)}\n${wrap(e.summary)}\n   runtime: ${e.runtime}\n\n`);
        break;
      case 'container':
        write(paint(color, '2', `   [container ${e.name}] ${e.phase} ${e.id}${e.pid ? ` (host pid ${e.pid})` : ''}\n`));
        break;
      case 'step':
        write(`\n${paint(color, '1;36', `== Step ${e.index + 1}/${e.total}: ${e.title}`)}\n${wrap(e.say)}\n\n`);
        break;
      case 'command-start':
        write(`   ${paint(color, '33', e.container ? `${e.container} #` : 'host $')} ${e.sh.includes('\n') ? `\n${indentLines(e.sh, '       ')}` : e.sh}\n`);
        break;
      case 'command': {
        if (e.error) write(paint(color, '31', `     ! ${e.error}\n`));
        const r = e.result;
        if (r) {
          // in arrival order: a shell's "Killed" (stderr) comes before what it echoes next (stdout)
          const text = (r.output ?? r.stdout + r.stderr).replace(/\s+$/, '');
          const lines = text ? text.split('\n') : [];
          const shown = lines.length > 40 ? [...lines.slice(0, 20), `… ${lines.length - 30} more lines …`, ...lines.slice(-10)] : lines;
          if (shown.length) write(`${indentLines(shown.join('\n'), '     ')}\n`);
          if (r.code !== 0) write(paint(color, '2', `     (exit ${r.code ?? r.signal})\n`));
        }
        break;
      }
      case 'check': {
        const o = e.outcome;
        if (o.status === 'pass') write(`   ${paint(color, '32', 'PASS')} (${o.from}) ${o.title}${o.seen !== undefined ? paint(color, '2', ` (saw: ${sawText(o.seen)})`) : ''}\n`);
        else {
          write(`   ${paint(color, '31', o.status === 'fail' ? 'FAIL' : 'ERROR')} (${o.from}) ${o.title}${o.seen !== undefined ? ` (saw: ${sawText(o.seen)})` : ''}\n`);
          if (o.error) write(`        error:    ${o.error}\n`);
          if (o.expected !== undefined) write(`        expected: ${o.expected}\n        seen:     ${o.seen}\n`);
          if (o.hint) write(`        hint:     ${o.hint}\n`);
        }
        break;
      }
      case 'lab-end': {
        const r = e.result;
        const pass = r.checks.filter((c) => c.status === 'pass').length;
        if (r.error) write(`\n   ${paint(color, '31', 'ERROR')} ${r.error}\n`);
        for (const c of r.cleanupErrors) write(`   ${paint(color, '31', 'CLEANUP')} ${c}\n`);
        if (r.skipped) write(`\n   SKIPPED: ${r.skipped}\n`);
        else write(`\n${paint(color, labPassed(r) ? '1;32' : '1;31', labPassed(r) ? 'PASSED' : 'FAILED')}: ${pass}/${r.checks.length} checks passed in ${(r.durationMs / 1000).toFixed(1)} s\n`);
        break;
      }
    }
  };
}
