// Runs one lab under the LabView TUI (a terminal on both ends); the runner and the view share a feed.
// With our runtime, each container's creation is stepped through in the TUI of --step: at the lab's
// key steps (default) or at every step (--step).
import React from 'react';
import { render } from 'ink';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { LabRef } from '../catalog.js';
import type { LabEvent, LabResult } from '../events.js';
import { narrateSink } from '../reporters/narrate.js';
import { runLab } from '../runner.js';
import { pausePrompts } from '../pause.js';
import { SteppingSession } from '../stepping.js';
import { LabView, type LabFeed } from './LabView.js';

export interface TuiRunOptions {
  runtime: string;
  prefix: string;
  pause: boolean;
  steps: boolean;
  /** 'keys': stop at the lab's key steps; 'all': at every step (--step); 'none': do not step */
  stepping: 'keys' | 'all' | 'none';
  signal: AbortSignal;
  /** what q does: the same as Ctrl-C in plain mode */
  stop: () => void;
  /** who does the tasks, and the Ctrl-C that skips one (see RunLabOptions) */
  tasks?: 'student' | 'solution';
  taskSkip?: () => AbortSignal;
  taskDone?: () => void;
}

/** Our runtime traces and steps; runc and crun do not. */
export const runtimeSteps = (runtime: string): boolean => basename(runtime) === 'tslab-runtime';

const dim = (s: string): string => `\x1b[2m${s}\x1b[0m`;

export async function runLabInTui(ref: LabRef, options: TuiRunOptions): Promise<LabResult> {
  const textListeners = new Set<(t: string) => void>();
  const eventListeners = new Set<(e: LabEvent) => void>();
  const steppingListeners = new Set<(title: string | undefined) => void>();
  const feed: LabFeed = {
    onText: (l) => { textListeners.add(l); return () => textListeners.delete(l); },
    onEvent: (l) => { eventListeners.add(l); return () => eventListeners.delete(l); },
    onStepping: (l) => { steppingListeners.add(l); return () => steppingListeners.delete(l); },
  };
  const say = (t: string): void => textListeners.forEach((l) => l(t));
  const narrate = narrateSink(say, { color: true, steps: options.steps });
  let session: SteppingSession | undefined;
  let sessionDir: string | undefined;
  if (options.stepping !== 'none' && runtimeSteps(options.runtime)) {
    sessionDir = mkdtempSync(join(tmpdir(), `${options.prefix}step-`));
    session = new SteppingSession(sessionDir, options.stepping, {
      phase: (active, title) => {
        if (active) say(dim(`   [stepping through the creation of ${title}: space steps, c continues, q stops the lab]\n`));
        steppingListeners.forEach((l) => l(active ? title : undefined));
      },
      keyStep: (e, key) => say(`   \x1b[1;35m▶ key step: ${e.summary}\x1b[0m\n     ${key.say}\n`),
    }, options.stop);
    session.open();
  }
  let release: (() => void) | undefined;
  let prompt = '';
  const app = render(
    <LabView
      feed={feed}
      color
      {...(session ? { stepping: session } : {})}
      waiting={() => (release !== undefined ? prompt : undefined)}
      onContinue={() => { release?.(); release = undefined; }}
      onStop={() => { options.stop(); release?.(); release = undefined; }}
    />,
    { exitOnCtrlC: false },
  );
  if (options.stepping !== 'none' && !session) {
    say(dim(`   ${basename(options.runtime)} does not trace its steps: this lab cannot step through the container's creation and runs without stopping (--runtime tslab steps)\n`));
  }
  // A stop from outside (Ctrl-C, SIGTERM, the terminal closing) must not leave the run waiting for Enter.
  const releaseOnAbort = (): void => { release?.(); release = undefined; };
  options.signal.addEventListener('abort', releaseOnAbort);
  try {
    return await runLab(ref, {
      runtime: options.runtime,
      prefix: options.prefix,
      signal: options.signal,
      ...(session ? { stepping: session } : {}),
      ...(options.tasks ? { tasks: options.tasks } : {}),
      ...(options.taskSkip ? { taskSkip: options.taskSkip } : {}),
      sink: (e) => {
        if (e.type === 'check') options.taskDone?.();
        narrate(e);
        eventListeners.forEach((l) => l(e));
      },
      ...(options.pause ? pausePrompts((text) => new Promise<void>((resolve) => { prompt = text; release = resolve; })) : {}),
    });
  } finally {
    options.signal.removeEventListener('abort', releaseOnAbort);
    await app.waitUntilExit();
    session?.close();
    if (sessionDir) rmSync(sessionDir, { recursive: true, force: true });
  }
}
