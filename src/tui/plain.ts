// Plain output for logs and pipes (Ink draws only the last frame when stdout is not a TTY):
// one line per completed step, usable directly as a tracer sink.
import type { TraceEvent } from '../tracer/event.js';
import type { Sink } from '../tracer/tracer.js';
import { formatMs } from './text.js';

export interface PlainOptions {
  /** ANSI colours: only when writing to a TTY */
  color?: boolean;
}

const paint = (on: boolean, code: string, text: string): string => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

/** Formats one event as its line, or undefined when the event prints nothing (a begin that will end). */
export function plainLine(event: TraceEvent, opts: PlainOptions = {}): string | undefined {
  const color = opts.color ?? false;
  const who = `${event.stage}:${event.pid}`.padEnd(12);
  // execve succeeds by never ending: its begin is the last word of the process, so print it at once.
  if (event.phase === 'begin') {
    return event.kind === 'exec' && event.step === 'execve' ? `${who} ${paint(color, '36', 'exec')} ${event.summary}` : undefined;
  }
  if (event.kind === 'lifecycle') return `${who} ${paint(color, '1;32', `── ${event.step.replace(/^state\./, '')} ──`)}`;
  if (event.errno && event.expected) {
    return `${who} ${paint(color, '2', 'gone')} ${event.summary} → ${event.errno} (expected: ${event.expected})`;
  }
  if (event.errno) {
    return `${who} ${paint(color, '31', 'FAIL')} ${event.summary} → ${event.errno}${event.error ? `: ${event.error}` : ''}`;
  }
  if (event.kind === 'exec' && event.step === 'execve') return undefined; // its begin was printed
  if (event.kind === 'info') return `${who} ${paint(color, '33', 'note')} ${event.summary}`;
  return `${who} ${paint(color, '32', 'ok  ')} ${event.summary}${event.dur !== undefined ? paint(color, '2', ` (${formatMs(event.dur)})`) : ''}`;
}

/** A tracer sink printing one line per step: `tracer.addSink(plainStepSink((s) => process.stderr.write(s)))`. */
export function plainStepSink(write: (text: string) => void, opts: PlainOptions = {}): Sink {
  return (event) => {
    const line = plainLine(event, opts);
    if (line !== undefined) write(line + '\n');
  };
}
