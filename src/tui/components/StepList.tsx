// The step list: only the lines that fit are rendered (a window around the selection), so a
// 10,000-event trace draws as fast as a ten-event one. Group headers mark stage/process changes.
import React, { useRef } from 'react';
import { Box, Text } from 'ink';
import type { ListLine, StepRow, TraceModel } from '../model.js';
import { Styled } from './theme.js';
import { cell, fit, formatMs } from '../text.js';

export interface StepListProps {
  model: TraceModel;
  /** version of the model, so memoised parents re-render on change */
  version: number;
  selected: number | undefined;
  /** the row that is blocked waiting for the user, if any */
  waitingId: string | undefined;
  breakpoints: ReadonlySet<string>;
  height: number;
  width: number;
}

const STATUS: Record<StepRow['status'], string> = { pending: '…', ok: '✓', failed: '✗', expected: '○' };

/**
 * The first line of the visible window: unchanged while the focus stays inside it (so scrolling
 * up moves the cursor, not the list), moved just enough when the focus leaves it; a header line
 * above the focus is kept in view.
 */
export function windowStart(total: number, height: number, focusLine: number, previous: number): number {
  if (total <= height) return 0;
  let start = Math.max(0, Math.min(previous, total - height));
  if (focusLine - 1 < start) start = Math.max(0, focusLine - 1);
  if (focusLine >= start + height) start = focusLine - height + 1;
  return Math.max(0, Math.min(total - height, start));
}

export function StepList({ model, selected, waitingId, breakpoints, height, width }: StepListProps): React.ReactElement {
  const bodyHeight = Math.max(1, height - 1);
  const total = model.lines.length;
  const focusLine = selected !== undefined ? model.rowLine[selected] ?? total - 1 : total - 1;
  const previous = useRef(0);
  const start = windowStart(total, bodyHeight, focusLine, previous.current);
  previous.current = start;
  const visible: ListLine[] = model.lines.slice(start, start + bodyHeight);
  const position = selected !== undefined ? `${selected + 1}/${model.rows.length}` : `${model.rows.length}`;
  const bp = breakpoints.size > 0 ? `  breakpoints: ${[...breakpoints].join(',')}` : '';
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Styled bold>{fit(`Steps ${position}${bp}`, width)}</Styled>
      {visible.map((line, i) =>
        line.type === 'header' ? (
          <Styled key={`h${start + i}`} color="magenta" dim>{fit(`── ${line.stage} (pid ${line.pid}) ${'─'.repeat(width)}`, width)}</Styled>
        ) : (
          <StepLine key={line.row.id} row={line.row} selected={line.row.index === selected}
            waiting={line.row.id === waitingId} breakpoint={breakpoints.has(line.row.step)} width={width} />
        ),
      )}
      {visible.length < bodyHeight ? <Text>{' '}</Text> : null}
    </Box>
  );
}

interface StepLineProps {
  row: StepRow;
  selected: boolean;
  waiting: boolean;
  breakpoint: boolean;
  width: number;
}

function StepLine({ row, selected, waiting, breakpoint, width }: StepLineProps): React.ReactElement {
  const marker = selected ? '›' : ' ';
  const status = waiting ? '▶' : STATUS[row.status];
  const bp = breakpoint ? '●' : ' ';
  const tail = row.errno ? ` ${row.errno}` : waiting ? ' next' : row.dur !== undefined && row.kind !== 'lifecycle' ? ` ${formatMs(row.dur)}` : '';
  const room = Math.max(1, width - tail.length);
  // Only the selected line is padded (its inverse bar spans the row); the rest let the layout
  // place the tail, so Ink has fewer characters to draw per frame.
  const body = selected ? cell(`${marker}${bp}${status} ${row.summary}`, room) : fit(`${marker}${bp}${status} ${row.summary}`, room);
  const color = waiting ? 'yellow' : row.status === 'failed' ? 'red' : row.kind === 'lifecycle' ? 'green' : undefined;
  return (
    <Box width={width} justifyContent="space-between">
      <Styled {...(color ? { color } : {})} inverse={selected} bold={waiting}>{body}</Styled>
      <Styled color={row.status === 'failed' ? 'red' : 'gray'}>{tail}</Styled>
    </Box>
  );
}
