// Two lines: what is being watched and how, then the lifecycle drawn as a path with "you are here".
import React from 'react';
import { Box, Text } from 'ink';
import { LIFECYCLE } from '../model.js';
import { Styled } from './theme.js';
import { fit } from '../text.js';

export interface HeaderProps {
  title: string;
  container: string | undefined;
  states: readonly string[];
  /** STEP, CONTINUE, LIVE, REPLAY, or a status such as "exited 0" */
  mode: string;
  status: string;
  width: number;
}

export function Header({ title, container, states, mode, status, width }: HeaderProps): React.ReactElement {
  const current = states[states.length - 1];
  const reached = new Set(states);
  const left = `tslab ▸ ${title}${container ? `  container ${container}` : ''}`;
  const right = `${mode}${status ? ` · ${status}` : ''}`;
  const room = Math.max(0, width - right.length - 1);
  return (
    <Box flexDirection="column" width={width}>
      <Box justifyContent="space-between">
        <Styled bold>{fit(left, room)}</Styled>
        <Styled color="cyan">{fit(right, width - room - 1)}</Styled>
      </Box>
      <Box>
        <Text>{'lifecycle: '}</Text>
        {LIFECYCLE.map((state, i) => (
          <React.Fragment key={state}>
            {i > 0 ? <Styled dim>{' → '}</Styled> : null}
            {state === current ? (
              <Styled color="green" bold inverse>{`[${state}]`}</Styled>
            ) : reached.has(state) ? (
              <Styled color="green">{state}</Styled>
            ) : (
              <Styled dim>{state}</Styled>
            )}
          </React.Fragment>
        ))}
      </Box>
    </Box>
  );
}
