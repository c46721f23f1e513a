// The lab view as a user sees it (ink-testing-library): narration scrolls, the panel follows the
// step, the containers and the checks, and Enter / q reach the runner.
import React from 'react';
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { LabView, type LabFeed } from '../../../src/labs/tui/LabView.js';
import type { LabEvent } from '../../../src/labs/events.js';

function fakeFeed(): LabFeed & { text(t: string): void; event(e: LabEvent): void } {
  const texts = new Set<(t: string) => void>();
  const events = new Set<(e: LabEvent) => void>();
  return {
    onText: (l) => { texts.add(l); return () => texts.delete(l); },
    onEvent: (l) => { events.add(l); return () => events.delete(l); },
    text: (t) => texts.forEach((l) => l(t)),
    event: (e) => events.forEach((l) => l(e)),
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 30));
const ref = { name: 'pid-namespace', id: 'namespaces/pid-namespace', dir: '/x', file: '/x/lab.ts' };

describe('LabView', () => {
  it('shows narration above and a live panel of step, containers and checks below', async () => {
    const feed = fakeFeed();
    let waiting: string | undefined;
    let continued = 0;
    let stopped = 0;
    const view = render(<LabView feed={feed} color={false} waiting={() => waiting} onContinue={() => continued++} onStop={() => stopped++} />);
    await tick();
    expect(view.lastFrame()).toContain('Starting the containers');
    feed.event({ type: 'container', name: 'c', id: 'tslabt-c', phase: 'started', pid: 4242 });
    feed.text('== Step 1/2: Look from inside\n');
    feed.event({ type: 'step', index: 0, total: 2, title: 'Look from inside', say: '' });
    feed.event({ type: 'command-start', container: 'c', sh: 'ps -o pid,comm' });
    await tick();
    let frame = view.lastFrame()!;
    expect(frame).toContain('== Step 1/2: Look from inside');
    expect(frame).toContain('Step 1/2: Look from inside');
    expect(frame).toContain('containers: c started (pid 4242)');
    expect(frame).toContain('running: c # ps -o pid,comm');
    feed.event({ type: 'check', outcome: { step: 's', title: 'a', from: 'inside', status: 'pass', durationMs: 1 } });
    feed.event({ type: 'check', outcome: { step: 's', title: 'b', from: 'inside', status: 'fail', expected: '1', seen: '2', durationMs: 1 } });
    waiting = 'Enter: next step';
    await new Promise((r) => setTimeout(r, 300)); // the prompt is polled four times a second
    frame = view.lastFrame()!;
    expect(frame).toContain('checks: 1 passed, 1 failed ✓✗');
    expect(frame).toContain('Enter: next step · q: stop');
    view.stdin.write('\r');
    view.stdin.write('q');
    await tick();
    expect(continued).toBe(1);
    expect(stopped).toBe(1);
    feed.event({ type: 'lab-end', result: { ref, title: 't', runtime: 'runc', checks: [
      { step: 's', title: 'a', from: 'inside', status: 'pass', durationMs: 1 },
      { step: 's', title: 'b', from: 'inside', status: 'fail', durationMs: 1 },
    ], durationMs: 5, cleanupErrors: [], trace: [] } });
    await tick();
    expect(view.lastFrame()).toContain('FAILED: 1/2 checks passed');
    view.unmount();
  });
});
