// What the watched command printed (the container's stdout and stderr), last lines first to go.
import React from 'react';
import { Box } from 'ink';
import { Styled } from './theme.js';
import { fit } from '../text.js';

export interface OutputPaneProps {
  lines: readonly string[];
  height: number;
  width: number;
}

export function OutputPane({ lines, height, width }: OutputPaneProps): React.ReactElement {
  const shown = lines.slice(Math.max(0, lines.length - (height - 1)));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Styled bold>{fit(`Output (${lines.length} lines)`, width)}</Styled>
      {shown.length === 0 ? <Styled dim>{fit('(nothing yet)', width)}</Styled> : null}
      {shown.map((l, i) => <Styled key={i}>{fit(l || ' ', width)}</Styled>)}
    </Box>
  );
}
