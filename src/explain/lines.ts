// The catalogue entry of a step as the TUI's detail pane shows it, as lines of at most `width`
// columns: shared by the detail pane and `tslab explain`, so both say the same thing the same way.
import type { ArgValue } from '../tracer/event.js';
import { fit, wrap } from '../tui/text.js';
import { explain } from './index.js';
import { eventNotes } from './notes.js';

export interface ExplanationLine {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
}

export function explanationLines(step: string, args: Record<string, ArgValue>, width: number): ExplanationLine[] {
  const e = explain(step);
  if (!e) return [{ text: fit(`No explanation for "${step}" yet (src/explain).`, width), dim: true }];
  const lines: ExplanationLine[] = [{ text: fit(`${e.title} — man ${e.man}`, width), color: 'cyan', bold: true }];
  for (const [label, text] of [['What', e.what], ['Why', e.why], ['Without it', e.without]] as const) {
    for (const l of wrap(`${label}: ${text}`, width, '  ')) lines.push({ text: l });
  }
  for (const note of eventNotes({ step, args })) for (const l of wrap(`• ${note}`, width, '  ')) lines.push({ text: l, color: 'yellow' });
  return lines;
}
