// The TUI: header, step list, detail pane and the namespaces / cgroup / output panes, driven by an
// EventSource (a live command or a replayed trace) and a StepController (step, continue, breakpoints).
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Box, useApp, useInput, useStdin, useStdout, type Key } from 'ink';
import type { TraceEvent } from '../tracer/event.js';
import { TraceModel } from './model.js';
import { StepController } from './controller.js';
import type { EventSource } from './sources/source.js';
import { computeLayout } from './layout.js';
import { readCgroupUsage, readNamespaces, type CgroupUsage, type NamespaceView } from './probes.js';
import { stripAnsi, fit } from './text.js';
import { ColorContext, Styled } from './components/theme.js';
import { Header } from './components/Header.js';
import { StepList } from './components/StepList.js';
import { DetailPane } from './components/DetailPane.js';
import { NamespacesPanel } from './components/NamespacesPanel.js';
import { CgroupPanel } from './components/CgroupPanel.js';
import { OutputPane } from './components/OutputPane.js';
import { HelpPane } from './components/HelpPane.js';

export interface TuiResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** everything the command printed, for the terminal after the TUI closes */
  output: string[];
  quit: boolean;
}

export interface AppProps {
  source: EventSource;
  title: string;
  color?: boolean;
  /** close by itself when the command ends (used when there is no keyboard) */
  exitWhenDone?: boolean;
  onDone?: (result: TuiResult) => void;
  /** terminal size override (tests); else the terminal's */
  columns?: number;
  rows?: number;
  /** how often live panes re-read /proc and the cgroup */
  pollMs?: number;
  /** how long the watched process may wait on a released begin of its own before a nudge */
  stallMs?: number;
  /** shared model, so a caller can inspect what was drawn (benchmarks, tests) */
  model?: TraceModel;
}

type BottomPane = 'namespaces' | 'cgroup' | 'output';
const PANES: BottomPane[] = ['namespaces', 'cgroup', 'output'];
const MAX_OUTPUT_LINES = 2000;

export function App(props: AppProps): React.ReactElement {
  const { source, title, exitWhenDone = false, onDone, pollMs = 500, stallMs = 300 } = props;
  const { exit } = useApp();
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const model = useMemo(() => props.model ?? new TraceModel(), [props.model]);
  const controller = useMemo(() => new StepController(() => source.release(), source.stepping,
    (e) => source.rootPid !== undefined && e.pid !== source.rootPid, (e) => source.runsThrough?.(e) ?? false), [source]);
  const lastEventAt = useRef(Date.now());
  const output = useRef<string[]>([]);
  const partial = useRef('');
  const [, setTick] = useState(0);
  const renderTimer = useRef<NodeJS.Timeout | undefined>(undefined);
  // UI state lives in a ref: keys typed faster than React re-renders must see each other's effect.
  const ui = useRef({ selected: undefined as number | undefined, follow: true, pane: 'namespaces' as BottomPane, help: false, expanded: false, message: '' });
  const rerender = useCallback(() => setTick((t) => t + 1), []);
  const [ended, setEnded] = useState<{ code: number | null; signal: NodeJS.Signals | null } | undefined>(undefined);
  const quittingRef = useRef(false);
  const endedRef = useRef<{ code: number | null; signal: NodeJS.Signals | null } | undefined>(undefined);
  const [ns, setNs] = useState<NamespaceView>(() => readNamespaces(undefined, new Set()));
  const [usage, setUsage] = useState<CgroupUsage | undefined>(undefined);
  const [size, setSize] = useState({ columns: props.columns ?? stdout.columns ?? 80, rows: props.rows ?? stdout.rows ?? 24 });

  // Redraw at most ~30 times a second however fast events arrive.
  const scheduleRender = useCallback(() => {
    if (renderTimer.current) return;
    renderTimer.current = setTimeout(() => {
      renderTimer.current = undefined;
      setTick((t) => t + 1);
    }, 33);
  }, []);

  const finish = useCallback((result: { code: number | null; signal: NodeJS.Signals | null }, quit: boolean) => {
    if (partial.current) output.current.push(partial.current);
    onDone?.({ ...result, output: output.current, quit });
    exit();
  }, [exit, onDone]);

  useEffect(() => {
    let done: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    source.start({
      events: (batch: TraceEvent[]) => {
        lastEventAt.current = Date.now();
        for (const e of batch) {
          model.add(e);
          controller.onEvent(e);
        }
        scheduleRender();
      },
      output: (text: string) => {
        const lines = (partial.current + stripAnsi(text.replace(/\r\n/g, '\n'))).split('\n');
        partial.current = lines.pop() ?? '';
        output.current.push(...lines);
        if (output.current.length > MAX_OUTPUT_LINES) output.current.splice(0, output.current.length - MAX_OUTPUT_LINES);
        scheduleRender();
      },
      exit: (code, signal) => {
        done = { code, signal };
        endedRef.current = done;
        setEnded(done);
        if (exitWhenDone || quittingRef.current) setTimeout(() => finish(done!, quittingRef.current), 50);
      },
    });
    return () => {
      if (renderTimer.current) clearTimeout(renderTimer.current);
      if (!done) source.stop();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [source]);

  // Stall watch (see StepController.nudge): everything visible was released, yet the watched
  // process waits for a 'g' in a begin of its own. /proc/<pid>/syscall tells whether it really
  // sits in read() on the control fd; where it cannot be read, only a long silence counts.
  useEffect(() => {
    if (source.kind !== 'live' || !source.stepping) return;
    const stalled = (): boolean => {
      const root = source.rootPid;
      if (endedRef.current || quittingRef.current || root === undefined || controller.pending > 0) return false;
      if (!model.hasPendingOf(root)) return false;
      const waits = source.rootWaitsForGo?.();
      const quiet = Date.now() - lastEventAt.current;
      return waits === true ? quiet >= stallMs : waits === undefined && quiet >= stallMs * 4;
    };
    const timer = setInterval(() => {
      if (!stalled()) return;
      // Read whatever is already in the events socket first (two turns of the event loop): the
      // begin the process wrote just before blocking may still be unread.
      setImmediate(() => setImmediate(() => {
        if (!stalled()) return;
        lastEventAt.current = Date.now(); // one nudge per quiet period
        controller.nudge();
      }));
    }, Math.max(20, stallMs / 2));
    return () => clearInterval(timer);
  }, [source, controller, model, stallMs]);

  // Follow the terminal's size.
  useEffect(() => {
    if (props.columns !== undefined) return;
    const onResize = (): void => setSize({ columns: stdout.columns ?? 80, rows: stdout.rows ?? 24 });
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout, props.columns]);

  // Live panes: namespaces of the init and cgroup usage, re-read while the command runs.
  useEffect(() => {
    const probe = (): void => {
      const pid = source.kind === 'live' ? model.initPid : undefined;
      setNs((prev) => readNamespaces(pid, model.unshared, prev));
      if (source.kind === 'live') setUsage(readCgroupUsage(model.cgroupWrites));
    };
    probe();
    if (ended) return;
    const timer = setInterval(probe, pollMs);
    return () => clearInterval(timer);
  }, [source, model, pollMs, ended]);

  const layout = computeLayout(props.columns ?? size.columns, props.rows ?? size.rows);
  const waitingRow = (): ReturnType<TraceModel['lastPending']> =>
    source.stepping && controller.pending > 0 && controller.mode === 'step' ? model.lastPending() : undefined;
  const currentIndex = (): number | undefined => {
    const u = ui.current;
    if (!u.follow) return u.selected;
    const w = waitingRow();
    return w ? w.index : model.rows.length > 0 ? model.rows.length - 1 : undefined;
  };
  const select = (index: number): void => {
    const last = model.rows.length - 1;
    const clamped = Math.max(0, Math.min(last, index));
    ui.current.selected = clamped;
    ui.current.follow = clamped === last;
    rerender();
  };
  const say = (message: string): void => {
    ui.current.message = message;
    rerender();
  };

  const quit = (): void => {
    if (quittingRef.current) return;
    quittingRef.current = true;
    rerender();
    source.stop({ initPid: model.initPid });
    if (endedRef.current) finish(endedRef.current, true);
  };

  const onKey = (input: string, key: Key): void => {
    const u = ui.current;
    if (u.help) {
      u.help = false;
      return rerender();
    }
    if (input === 'q' || (key.ctrl && input === 'c')) return quit();
    if (input === '?') {
      u.help = true;
      return rerender();
    }
    if (input === ' ' || key.return) {
      if (!source.stepping) return say('not stepping: run with --step to stop before each step');
      if (controller.next()) {
        u.follow = true;
        say('');
      } else say(endedRef.current ? 'the run has ended: q quits' : 'the next step has not arrived yet');
      return;
    }
    if (input === 'c') {
      controller.continueRun();
      u.follow = true;
      return say(controller.breakpoints.size > 0 ? `continuing to a breakpoint (${[...controller.breakpoints].join(', ')})` : 'continuing to the end');
    }
    if (input === 'b') {
      controller.stoppedAt = undefined;
      const at = currentIndex();
      const row = at !== undefined ? model.rows[at] : undefined;
      if (!row) return;
      const on = controller.toggleBreakpoint(row.step);
      return say(on ? `breakpoint on every "${row.step}"` : `breakpoint on "${row.step}" removed`);
    }
    if (input === 'e') {
      u.expanded = !u.expanded;
      return rerender();
    }
    if (key.tab) {
      u.pane = PANES[(PANES.indexOf(u.pane) + 1) % PANES.length]!;
      return rerender();
    }
    const at = currentIndex() ?? model.rows.length - 1;
    const page = Math.max(1, layout.listHeight - 2);
    if (key.upArrow || input === 'k') return select(at - 1);
    if (key.downArrow || input === 'j') return select(at + 1);
    if (key.pageUp) return select(at - page);
    if (key.pageDown) return select(at + page);
    if (key.home) return select(0);
    if (key.end) return select(model.rows.length - 1);
  };
  const onKeyRef = useRef(onKey);
  onKeyRef.current = onKey;
  useInput((input, key) => onKeyRef.current(input, key), { isActive: isRawModeSupported === true });

  const waiting = waitingRow();
  const current = currentIndex();
  const { help, message, pane, expanded } = ui.current;
  const quitting = quittingRef.current;
  const row = current !== undefined ? model.rows[current] : undefined;
  const mode = source.kind === 'replay' ? 'REPLAY' : source.stepping ? 'STEP' : 'LIVE';
  const runMode = source.stepping
    ? (controller.mode === 'continue' ? 'continue' : waiting ? (controller.pending > 1 ? `${controller.pending} waiting` : 'waiting') : 'running')
    : 'watching';
  const status = quitting ? 'quitting: cleaning up…'
    : ended ? (source.kind === 'replay' ? 'end of trace' : ended.signal ? `killed by ${ended.signal}` : `exited, exit code ${ended.code}`)
    : runMode;
  const footerText = controller.stoppedAt && waiting ? `breakpoint: stopped before ${controller.stoppedAt}` : message ||
    'space/enter next · c continue · b breakpoint · ↑↓ select · tab pane · ? help · q quit';

  const bottom = (which: BottomPane, width: number): React.ReactElement => {
    if (which === 'namespaces') return <NamespacesPanel view={ns} height={layout.bottomHeight} width={width} />;
    if (which === 'cgroup') return <CgroupPanel writes={model.cgroupWrites} usage={usage} height={layout.bottomHeight} width={width} />;
    return <OutputPane lines={output.current} height={layout.bottomHeight} width={width} />;
  };
  const thirds = Math.floor(layout.width / 3);

  return (
    <ColorContext.Provider value={props.color ?? false}>
      <Box flexDirection="column" width={layout.width}>
        <Header title={title} container={model.container} states={model.states} mode={mode} status={status} width={layout.width} />
        {help && !layout.wide ? (
          // narrow: the help takes the list's and the detail's room, so every key fits in 80×24
          <HelpPane height={layout.listHeight + layout.detailHeight} width={layout.width} />
        ) : expanded && !layout.wide ? (
          // e: the whole explanation, in the list's and the detail's room
          <DetailPane row={row} waiting={row !== undefined && row.id === waiting?.id} height={layout.listHeight + layout.detailHeight} width={layout.width} labNote={row ? source.labNote?.(row) : undefined} />
        ) : (
          <Box flexDirection={layout.wide ? 'row' : 'column'}>
            <StepList model={model} version={model.version} selected={current} waitingId={waiting?.id}
              breakpoints={controller.breakpoints} height={layout.listHeight} width={layout.listWidth} />
            {layout.wide ? <Box width={1} /> : null}
            {help ? <HelpPane height={layout.detailHeight} width={layout.detailWidth} />
              : <DetailPane row={row} waiting={row !== undefined && row.id === waiting?.id} height={layout.detailHeight} width={layout.detailWidth} labNote={row ? source.labNote?.(row) : undefined} />}
          </Box>
        )}
        {layout.wide ? (
          <Box>
            {bottom('namespaces', thirds - 1)}<Box width={1} />{bottom('cgroup', thirds - 1)}<Box width={1} />{bottom('output', layout.width - 2 * thirds)}
          </Box>
        ) : bottom(pane, layout.width)}
        <Styled color={controller.stoppedAt && waiting ? 'red' : 'gray'}>{fit(footerText, layout.width)}</Styled>
      </Box>
    </ColorContext.Provider>
  );
}
