// asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a terminal recording of the
// trace, one coloured line per step, and one marker ("m" event) per lifecycle step, which
// asciinema-player shows as chapters.
import type { TraceEvent } from '../tracer/event.js';
import { plainLine } from '../tui/plain.js';
import { explain } from '../explain/index.js';
import { exportSteps, lifecycleLabel } from './steps.js';

export interface AsciicastOptions {
  title?: string;
  width?: number;
  height?: number;
  /** seconds between lines instead of the real timing (a 50 ms run is too fast to watch) */
  pace?: number;
}

export type CastEvent = [number, 'o' | 'm', string];

export interface Asciicast {
  header: { version: 2; width: number; height: number; timestamp?: number; title?: string; env: Record<string, string> };
  events: CastEvent[];
}

export function toAsciicast(trace: readonly TraceEvent[], opts: AsciicastOptions = {}): Asciicast {
  const width = opts.width ?? 120;
  const steps = exportSteps(trace);
  const first = trace[0];
  const events: CastEvent[] = [];
  const round = (s: number): number => Math.round(s * 1e6) / 1e6;
  let line = 0;
  const at = (ms: number): number => round(opts.pace !== undefined ? line * opts.pace : ms / 1000);
  events.push([0, 'o', `\x1b[1mtslab trace${opts.title ? `: ${opts.title}` : ''}\x1b[0m\r\n`]);
  line++;
  for (const s of steps) {
    const e = s.event;
    // a begin that never ended prints like the plain renderer's begin line (execve), or as unfinished
    const text = plainLine(e, { color: true }) ?? (s.finished ? undefined : `${`${e.stage}:${e.pid}`.padEnd(12)} \x1b[33m....\x1b[0m ${e.summary} (no end event)`);
    if (text === undefined) continue;
    const title = explain(e.step)?.title;
    const plainLength = text.replace(/\x1b\[[0-9;]*m/g, '').length;
    const note = title && e.kind !== 'lifecycle' && plainLength + title.length + 4 < width ? `  \x1b[2m— ${title}\x1b[0m` : '';
    const time = at(s.start + s.dur);
    if (e.kind === 'lifecycle') events.push([time, 'm', lifecycleLabel(e.step)]);
    events.push([time, 'o', `${text}${note}\r\n`]);
    line++;
  }
  // A closing line after the last step: the player drops a marker that sits exactly at the end.
  const failed = steps.filter((s) => s.event.errno).length;
  const last = events[events.length - 1]![0];
  events.push([round(last + (opts.pace ?? 0.5)), 'o', `\x1b[2mend of trace: ${steps.length} steps, ${failed} failed\x1b[0m\r\n`]);
  // never let time go backwards (the format requires non-decreasing times)
  for (let i = 1; i < events.length; i++) if (events[i]![0] < events[i - 1]![0]) events[i]![0] = events[i - 1]![0];
  return {
    header: {
      version: 2,
      width,
      height: opts.height ?? 32,
      ...(first ? { timestamp: Math.floor(first.wall / 1000) } : {}),
      ...(opts.title ? { title: opts.title } : {}),
      env: { TERM: 'xterm-256color', SHELL: '/bin/sh' },
    },
    events,
  };
}

export function formatAsciicast(cast: Asciicast): string {
  return [JSON.stringify(cast.header), ...cast.events.map((e) => JSON.stringify(e))].join('\n') + '\n';
}
