// The init's namespaces beside the host's: the inode numbers the kernel shows in /proc/<pid>/ns.
import React from 'react';
import { Box } from 'ink';
import { Styled } from './theme.js';
import { fit } from '../text.js';
import type { NamespaceView } from '../probes.js';

export interface NamespacesPanelProps {
  view: NamespaceView;
  height: number;
  width: number;
}

export function NamespacesPanel({ view, height, width }: NamespacesPanelProps): React.ReactElement {
  const columns = width >= 76 ? 2 : 1;
  const colWidth = Math.floor(width / columns);
  const lines: React.ReactElement[] = [];
  const rows = Math.ceil(view.entries.length / columns);
  for (let r = 0; r < rows && lines.length < height - 1; r++) {
    const cells = view.entries.slice(r * columns, r * columns + columns).map((e) => {
      const mark = e.isNew ? 'NEW ' : '    ';
      // Without a live process only the trace speaks: which namespaces it unshared.
      const ids = e.container !== undefined ? `${e.host ?? '?'} → ${e.container}` : e.isNew ? 'unshared' : 'host\'s';
      const text = `${e.type.padEnd(6)} ${ids}`;
      return { text: fit(`${mark} ${text}`, colWidth - 1), isNew: e.isNew };
    });
    lines.push(
      <Box key={r}>
        {cells.map((c, i) => (
          <Box key={i} width={colWidth}>
            <Styled {...(c.isNew ? { color: 'green' } : {})}>{c.text}</Styled>
          </Box>
        ))}
      </Box>,
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Styled bold>{fit(`Namespaces: host → container  ${view.note}`, width)}</Styled>
      {lines}
    </Box>
  );
}
