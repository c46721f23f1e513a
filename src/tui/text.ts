// Plain-text helpers: the TUI lays out lines itself so that every pane keeps its height.
import type { ArgValue } from '../tracer/event.js';

/** Cuts a line to `width` columns, marking the cut with an ellipsis. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const oneLine = text.replace(/[\r\n\t]+/g, ' ');
  return oneLine.length <= width ? oneLine : oneLine.slice(0, Math.max(0, width - 1)) + '…';
}

/** Pads or cuts a line to exactly `width` columns. */
export function cell(text: string, width: number): string {
  const f = fit(text, width);
  return f + ' '.repeat(Math.max(0, width - f.length));
}

/** Wraps prose at word boundaries to `width` columns; continuation lines get `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  if (width <= indent.length + 4) return [fit(text, width)];
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line === '') line = (out.length > 0 ? indent : '') + word;
      else if (line.length + 1 + word.length <= width) line += ' ' + word;
      else {
        out.push(fit(line, width));
        line = indent + word;
      }
    }
    if (line !== '') out.push(fit(line, width));
  }
  return out;
}

/** Milliseconds for people: 0.12 ms, 12.3 ms, 1.23 s. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1) return `${ms.toFixed(2)}ms`;
  if (ms < 100) return `${ms.toFixed(1)}ms`;
  if (ms < 10_000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Removes terminal escape sequences and control characters from captured program output. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*(\x07|\x1b\\)|\x1b[@-Z\\-_]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** An argument value as one line: arrays in brackets, objects as {k: v}. */
export function formatArg(value: ArgValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(formatArg).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${k}: ${formatArg(v)}`).join(', ')}}`;
  return String(value);
}
