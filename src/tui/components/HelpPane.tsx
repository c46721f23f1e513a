// `?`: the keys, and what stepping means.
import React from 'react';
import { Box } from 'ink';
import { Styled } from './theme.js';
import { fit } from '../text.js';

export const KEYS: Array<[string, string]> = [
  ['space/enter', 'run the waiting step (the runtime is blocked before it)'],
  ['c', 'continue to the end, or to the next breakpoint'],
  ['b', 'toggle a breakpoint on the selected step\'s name'],
  ['↑/↓ pgup/pgdn', 'select a step (home/end: first/last; end follows)'],
  ['e', 'the selected step\'s whole explanation (again: back to the list)'],
  ['tab', 'switch the bottom pane: namespaces, cgroup, output'],
  ['?', 'this help (any key closes it)'],
  ['q', 'quit: stop stepping, let the command clean up the container'],
];

export function HelpPane({ height, width }: { height: number; width: number }): React.ReactElement {
  const lines = [
    'In step mode every traced step stops before it runs and waits for you.',
    ...KEYS.map(([k, v]) => `${k.padEnd(14)} ${v}`),
  ];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Styled bold color="cyan">Help</Styled>
      {lines.slice(0, height - 1).map((l, i) => <Styled key={i}>{fit(l, width)}</Styled>)}
    </Box>
  );
}
