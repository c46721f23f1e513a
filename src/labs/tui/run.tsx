// Runs one lab under the LabView TUI (a terminal on both ends); the runner and the view share a feed.
import React from 'react';
import { render } from 'ink';
import type { LabRef } from '../catalog.js';
import type { LabEvent, LabResult } from '../events.js';
import { narrateSink } from '../reporters/narrate.js';
import { runLab } from '../runner.js';
import { pausePrompts } from '../pause.js';
import { LabView, type LabFeed } from './LabView.js';

export interface TuiRunOptions {
  runtime: string;
  prefix: string;
  pause: boolean;
  steps: boolean;
  signal: AbortSignal;
  /** what q does: the same as Ctrl-C in plain mode */
  stop: () => void;
}

export async function runLabInTui(ref: LabRef, options: TuiRunOptions): Promise<LabResult> {
  const textListeners = new Set<(t: string) => void>();
  const eventListeners = new Set<(e: LabEvent) => void>();
  const feed: LabFeed = {
    onText: (l) => { textListeners.add(l); return () => textListeners.delete(l); },
    onEvent: (l) => { eventListeners.add(l); return () => eventListeners.delete(l); },
  };
  const narrate = narrateSink((t) => textListeners.forEach((l) => l(t)), { color: true, steps: options.steps });
  let release: (() => void) | undefined;
  let prompt = '';
  const app = render(
    <LabView
      feed={feed}
      color
      waiting={() => (release !== undefined ? prompt : undefined)}
      onContinue={() => { release?.(); release = undefined; }}
      onStop={() => { options.stop(); release?.(); release = undefined; }}
    />,
    { exitOnCtrlC: false },
  );
  // A stop from outside (Ctrl-C, SIGTERM, the terminal closing) must not leave the run waiting for Enter.
  const releaseOnAbort = (): void => { release?.(); release = undefined; };
  options.signal.addEventListener('abort', releaseOnAbort);
  try {
    return await runLab(ref, {
      runtime: options.runtime,
      prefix: options.prefix,
      signal: options.signal,
      sink: (e) => {
        narrate(e);
        eventListeners.forEach((l) => l(e));
      },
      ...(options.pause ? pausePrompts((text) => new Promise<void>((resolve) => { prompt = text; release = resolve; })) : {}),
    });
  } finally {
    options.signal.removeEventListener('abort', releaseOnAbort);
    await app.waitUntilExit();
  }
}
