// The cgroup the runtime made: limits it wrote, and what the container uses right now.
import React from 'react';
import { Box } from 'ink';
import { Styled } from './theme.js';
import { fit, wrap } from '../text.js';
import type { CgroupWrite } from '../model.js';
import type { CgroupUsage } from '../probes.js';

export interface CgroupPanelProps {
  writes: readonly CgroupWrite[];
  usage: CgroupUsage | undefined;
  height: number;
  width: number;
}

const NOT_LIMITS = new Set(['cgroup.procs', 'cgroup.subtree_control', 'tasks']);

export function CgroupPanel({ writes, usage, height, width }: CgroupPanelProps): React.ReactElement {
  const limits = new Map<string, string>();
  for (const w of writes) if (!NOT_LIMITS.has(w.file)) limits.set(w.file, w.ok ? w.value : `${w.value} (failed)`);
  const dir = writes[0]?.path.replace(/\/[^/]+$/, '');
  const lines: string[] = [];
  if (dir) lines.push(`dir ${dir}`);
  const limitText = [...limits].map(([f, v]) => `${f}=${v}`).join('  ');
  lines.push(...wrap(`limits: ${limitText || 'none set'}`, width, '  '));
  const usageText = usage && usage.items.length > 0 ? usage.items.map((u) => `${u.name} ${u.value}`).join('  ') : usage?.note ?? 'no cgroup yet';
  const body = lines.slice(0, Math.max(0, height - 2));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Styled bold>{fit('Cgroup', width)}</Styled>
      {body.map((l, i) => <Styled key={i}>{fit(l, width)}</Styled>)}
      <Styled color="yellow">{fit(`usage: ${usageText}`, width)}</Styled>
    </Box>
  );
}
