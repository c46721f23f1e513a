// `tslab run` in a terminal: the narrated log scrolls above (Ink's <Static>, the same text as the
// plain renderer), and a live panel below shows the step, the containers' lifecycle, the checks
// turning green or red, what is running now, and the keys.
import React, { useEffect, useState } from 'react';
import { Box, Static, Text, useApp, useInput, useStdout } from 'ink';
import { App } from '../../tui/App.js';
import type { EventSource } from '../../tui/sources/source.js';
import type { LabEvent } from '../events.js';
import { labPassed } from '../events.js';

export interface LabFeed {
  /** narrated text chunks, in order (the plain renderer's output) */
  onText(listener: (text: string) => void): () => void;
  onEvent(listener: (event: LabEvent) => void): () => void;
  /** a container's creation is being stepped through (the TUI of --step shows meanwhile) */
  onStepping?(listener: (active: string | undefined) => void): () => void;
}

export interface LabViewProps {
  feed: LabFeed;
  color: boolean;
  /** what the runner waits for the instructor to do (Enter), or undefined while it runs */
  waiting: () => string | undefined;
  onContinue: () => void;
  onStop: () => void;
  /** the stepping session: the step-by-step TUI's source while a container is created */
  stepping?: EventSource;
}

interface Panel {
  step?: { index: number; total: number; title: string };
  containers: Map<string, { state: string; pid?: number }>;
  pass: number;
  fail: number;
  marks: string[];
  now?: string;
  done?: { ok: boolean; line: string };
}

export function LabView({ feed, color, waiting, onContinue, onStop, stepping }: LabViewProps): React.ReactElement {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [stepTitle, setStepTitle] = useState<string | undefined>(undefined);
  const [chunks, setChunks] = useState<{ id: number; text: string }[]>([]);
  const [panel, setPanel] = useState<Panel>({ containers: new Map(), pass: 0, fail: 0, marks: [] });
  const [, tick] = useState(0);

  useEffect(() => {
    let id = 0;
    const offText = feed.onText((text) => {
      const clean = text.replace(/\n$/, '');
      setChunks((c) => [...c, { id: id++, text: clean }]);
    });
    const offEvent = feed.onEvent((e) => {
      setPanel((p) => {
        const next: Panel = { ...p, containers: new Map(p.containers), marks: [...p.marks] };
        if (e.type === 'step') next.step = { index: e.index, total: e.total, title: e.title };
        if (e.type === 'container') next.containers.set(e.name, { state: e.phase, pid: e.pid });
        if (e.type === 'command-start') next.now = `${e.container ? `${e.container} #` : 'host $'} ${e.sh.split('\n')[0]}`;
        if (e.type === 'command') next.now = undefined;
        if (e.type === 'task') next.now = e.by === 'student' ? `your turn: ${e.command} (Ctrl-C skips)` : `solution: ${e.command}`;
        if (e.type === 'check') next.now = undefined;
        if (e.type === 'check') {
          const ok = e.outcome.status === 'pass';
          if (ok) next.pass++;
          else next.fail++;
          next.marks.push(ok ? '✓' : '✗');
        }
        if (e.type === 'lab-end') {
          const r = e.result;
          next.done = { ok: labPassed(r), line: r.skipped ? `skipped: ${r.skipped}` : `${r.checks.filter((c) => c.status === 'pass').length}/${r.checks.length} checks passed` };
          next.now = undefined;
        }
        return next;
      });
      if (e.type === 'lab-end') setTimeout(() => exit(), 50);
    });
    const offStepping = feed.onStepping?.((title) => setStepTitle(title));
    // the "waiting" prompt depends on the runner's state: refresh a few times a second
    const timer = setInterval(() => tick((n) => n + 1), 250);
    return () => {
      offText();
      offEvent();
      offStepping?.();
      clearInterval(timer);
    };
  }, [feed, exit]);

  // while the step-by-step TUI shows, its keys are its own
  useInput((input, key) => {
    if (key.return || input === ' ') onContinue();
    if (input === 'q' || (key.ctrl && input === 'c')) onStop();
  }, { isActive: stepTitle === undefined });

  const c = (name: string): string | undefined => (color ? name : undefined);
  const marks = panel.marks.map((m, i) => <Text key={i} color={c(m === '✓' ? 'green' : 'red')}>{m}</Text>);
  return (
    <Box flexDirection="column">
      <Static items={chunks}>{(chunk) => <Text key={chunk.id}>{chunk.text}</Text>}</Static>
      {stepTitle !== undefined && stepping ? (
        // below the terminal's height, so Ink redraws only this part and the narration stays above
        <App source={stepping} title={`lab ${stepTitle}`} color={color} rows={Math.max(16, (stdout.rows ?? 40) - 2)} />
      ) : null}
      {stepTitle !== undefined && stepping ? null : <Box flexDirection="column" borderStyle="round" borderColor={c('cyan')} paddingX={1}>
        <Text>
          <Text bold>{panel.step ? `Step ${panel.step.index + 1}/${panel.step.total}: ${panel.step.title}` : 'Starting the containers'}</Text>
        </Text>
        <Text>
          containers: {[...panel.containers].map(([name, s]) => `${name} ${s.state}${s.pid ? ` (pid ${s.pid})` : ''}`).join(', ') || 'none yet'}
        </Text>
        <Text>
          checks: <Text color={c('green')}>{panel.pass} passed</Text>, <Text color={c(panel.fail ? 'red' : 'gray')}>{panel.fail} failed</Text> {marks}
        </Text>
        {panel.now ? <Text color={c('yellow')}>running: {panel.now}</Text> : null}
        {panel.done
          ? <Text bold color={c(panel.done.ok ? 'green' : 'red')}>{panel.done.ok ? 'PASSED' : 'FAILED'}: {panel.done.line}</Text>
          : <Text dimColor>{waiting() ? `${waiting()} · q: stop` : 'q: stop'}</Text>}
      </Box>}
    </Box>
  );
}
