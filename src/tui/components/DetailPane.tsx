// The selected step in full: arguments, result or errno, and the catalogue's explanation.
import React from 'react';
import { Box } from 'ink';
import type { StepRow } from '../model.js';
import { explanationLines } from '../../explain/lines.js';
import { Styled } from './theme.js';
import { fit, formatArg, formatMs, wrap } from '../text.js';

export interface DetailPaneProps {
  row: StepRow | undefined;
  waiting: boolean;
  height: number;
  width: number;
  /** the lab's own words for this step (a key step of `tslab run`) */
  labNote?: string | undefined;
}

interface Line {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
}

/** The detail text of a step as lines of at most `width` columns (exported for the plain report). */
export function detailLines(row: StepRow, waiting: boolean, width: number, labNote?: string): Line[] {
  const lines: Line[] = [];
  const state = waiting ? 'waiting for you: space runs it' : row.status === 'pending' ? 'running (or exec\'d: no end event)' :
    row.status === 'failed' ? `failed ${row.errno ?? ''}` : row.status === 'expected' ? `${row.errno} (expected)` : `ok in ${formatMs(row.dur)}`;
  lines.push({ text: fit(`${row.step}  [${row.stage} pid ${row.pid}]  ${state}`, width), bold: true, ...(row.status === 'failed' ? { color: 'red' } : {}) });
  const args = Object.entries(row.args).map(([k, v]) => `${k}=${formatArg(v)}`).join('  ');
  if (args) for (const l of wrap(`args: ${args}`, width, '  ').slice(0, 2)) lines.push({ text: l });
  if (row.result !== undefined) lines.push({ text: fit(`result: ${formatArg(row.result)}`, width) });
  if (row.expected) for (const l of wrap(`expected ${row.errno}: ${row.expected}`, width, '  ')) lines.push({ text: l, color: 'gray' });
  else if (row.errno) for (const l of wrap(`error: ${row.errno}${row.error ? ` — ${row.error}` : ''}`, width, '  ')) lines.push({ text: l, color: 'red' });
  if (labNote) for (const l of wrap(`Lab: ${labNote}`, width, '  ')) lines.push({ text: l, color: 'magenta', bold: true });
  lines.push(...explanationLines(row.step, row.args, width));
  return lines;
}

export function DetailPane({ row, waiting, height, width, labNote }: DetailPaneProps): React.ReactElement {
  const lines: Line[] = row ? detailLines(row, waiting, width, labNote) : [{ text: 'No step yet: the command has not emitted any.', dim: true }];
  const shown = lines.slice(0, height);
  if (lines.length > height && height > 0) shown[height - 1] = { text: fit(`… (${lines.length - height + 1} more lines: e shows all)`, width), dim: true };
  return (
    <Box flexDirection="column" width={width} height={height}>
      {shown.map((l, i) => (
        <Styled key={i} {...(l.color ? { color: l.color } : {})} bold={l.bold ?? false} dim={l.dim ?? false}>{l.text}</Styled>
      ))}
    </Box>
  );
}
