// The TUI as a user sees it, rendered by ink-testing-library on a recorded trace.
import { afterEach, describe, expect, it } from 'vitest';
import React from 'react';
import { render } from 'ink-testing-library';
import { App, type TuiResult } from '../../../src/tui/App.js';
import { ReplaySource } from '../../../src/tui/sources/replay.js';
import { sampleTrace } from '../../../src/tui/sample-trace.js';
import { waitFor } from './helpers.js';

type Rendered = ReturnType<typeof render>;
const mounted: Rendered[] = [];
afterEach(() => mounted.splice(0).forEach((r) => r.unmount()));

function show(props: Partial<React.ComponentProps<typeof App>> & { trace?: ReturnType<typeof sampleTrace> } = {}): Rendered & { done: TuiResult[] } {
  const done: TuiResult[] = [];
  const r = render(
    <App source={new ReplaySource(props.trace ?? sampleTrace())} title="trace view demo.jsonl" columns={80} rows={24} pollMs={50}
      onDone={(res) => done.push(res)} {...props} />,
  );
  mounted.push(r);
  return Object.assign(r, { done });
}

const frame = (r: Rendered): string => r.lastFrame() ?? '';
const until = (r: Rendered, text: string | RegExp, timeoutMs?: number): Promise<string> =>
  waitFor(`a frame showing ${String(text)}`, () => {
    const f = frame(r);
    return (typeof text === 'string' ? f.includes(text) : text.test(f)) ? f : undefined;
  }, timeoutMs);

/** Presses a key until the frame matches, waiting for each press to change the selection. */
async function pressUntil(r: Rendered, key: string, text: RegExp, max = 60): Promise<string> {
  for (let i = 0; i < max; i++) {
    if (text.test(frame(r))) return frame(r);
    const before = /Steps (\d+)\//.exec(frame(r))?.[1];
    r.stdin.write(key);
    await waitFor('the selection to move', () => /Steps (\d+)\//.exec(frame(r))?.[1] !== before);
  }
  throw new Error(`${String(text)} never showed after ${max} presses:\n${frame(r)}`);
}

describe('TUI (replay, 80×24)', () => {
  it('fits 80×24 and shows header, lifecycle path, the waiting step and its explanation', async () => {
    const r = show();
    const f = await until(r, 'waiting for you');
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(f).toContain('container tslabt-demo');
    expect(f).toMatch(/lifecycle: \[creating\] → created → running → stopped → deleted/);
    expect(f).toContain('▶ state.creating');
    expect(f).toContain('Lifecycle: creating');
    expect(f).not.toMatch(/\x1b\[/); // colours only on a TTY
  });

  it('space runs one step at a time; the selection follows the waiting step', async () => {
    const r = show();
    await until(r, '▶ state.creating');
    r.stdin.write(' ');
    await until(r, '▶ mkdir');
    expect(frame(r)).toContain('✓ state.creating');
    r.stdin.write('\r'); // enter does the same
    const f = await until(r, '▶ write memory.max = 33554432');
    expect(f).toContain('Write a cgroup control file');
  });

  it('b sets a breakpoint on the selected step name, c continues until it and then to the end', async () => {
    const r = show();
    await until(r, '▶ state.creating');
    for (let i = 0; i < 8; i++) {
      r.stdin.write(' ');
      await until(r, `Steps ${i + 2}/`);
    }
    const before = await until(r, /▶ mount/);
    expect(before).toContain('mount');
    r.stdin.write('b');
    await until(r, 'breakpoint on every "mount"');
    r.stdin.write('c'); // passes this mount, stops at the next one
    const stopped = await until(r, 'breakpoint: stopped before mount');
    expect(stopped).toMatch(/▶ mount rootfs rootfs MS_BIND\|MS_REC/);
    expect(stopped).toContain('breakpoints: mount');
    r.stdin.write('b'); // remove it
    await until(r, 'breakpoint on "mount" removed');
    r.stdin.write('c');
    const end = await until(r, 'end of trace');
    expect(end).toMatch(/\[deleted\]/);
    expect(end).toContain('state.deleted');
  });

  it('↑/↓ select earlier steps and show their details; tab switches the bottom pane', async () => {
    const r = show();
    await until(r, '▶ state.creating');
    r.stdin.write('c');
    await until(r, 'end of trace');
    r.stdin.write('\u001B[A'); // up
    await until(r, '› ✓ rmdir');
    expect(frame(r)).toContain('Remove a directory (a cgroup)');
    for (let i = 0; i < 40; i++) r.stdin.write('\u001B[A');
    await until(r, /› ✓ state\.creating/);
    expect(frame(r)).toMatch(/Steps 1\/32/);
    r.stdin.write('\t');
    await until(r, 'Cgroup');
    expect(frame(r)).toContain('limits: memory.max=33554432 pids.max=64');
    r.stdin.write('\t');
    await until(r, 'Output (0 lines)');
  });

  it('e shows the whole explanation of the selected step in 80×24, e again goes back', async () => {
    const r = show();
    await until(r, '▶ state.creating');
    r.stdin.write(' ');
    await until(r, '▶ mkdir');
    expect(frame(r)).toContain('e shows all');
    r.stdin.write('e');
    const full = await until(r, 'Without it: The container would share');
    expect(full).not.toContain('e shows all');
    expect(full.split('\n').length).toBeLessThanOrEqual(23);
    r.stdin.write('e');
    await until(r, 'Steps 2/2');
  });

  it('? shows the keys, any key closes the help, q quits', async () => {
    const r = show();
    await until(r, '▶ state.creating');
    r.stdin.write('?');
    const help = await until(r, 'Help');
    expect(help).toContain('toggle a breakpoint');
    expect(help).toContain('quit: stop stepping'); // every key fits in 80×24
    expect(help.split('\n').length).toBeLessThanOrEqual(23);
    r.stdin.write('x');
    await until(r, 'waiting for you');
    r.stdin.write('q');
    await waitFor('the app to finish', () => r.done.length === 1);
    expect(r.done[0]!.quit).toBe(true);
  });

  it('shows a failed step in the list and the detail', async () => {
    const r = show({ trace: sampleTrace({ failAt: 'pivot_root' }) });
    await until(r, '▶ state.creating');
    r.stdin.write('c');
    await until(r, 'end of trace');
    const f = await pressUntil(r, '\u001B[A', /› ✗ pivot_root \. \. +EPERM/);
    expect(f).toContain('error: EPERM');
    expect(f).toContain('Swap the root filesystem');
  });

  it('lays out wide terminals with all panes side by side', async () => {
    const r = show({ columns: 140, rows: 40 });
    await until(r, 'waiting for you');
    r.stdin.write(' ');
    await until(r, '▶ mkdir');
    r.stdin.write(' ');
    const f = await until(r, 'memory.max: Hard memory limit');
    expect(f).toContain('Namespaces');
    expect(f).toContain('Cgroup');
    expect(f).toContain('Output');
    for (const line of f.split('\n')) expect(line.length).toBeLessThanOrEqual(140);
    expect(f.split('\n').length).toBeLessThanOrEqual(39);
  });

  it('renders 10,000 events and continues through them', async () => {
    const trace = sampleTrace({ extraSteps: 5000 });
    expect(trace.length).toBeGreaterThan(10_000);
    const r = show({ trace });
    await until(r, '▶ state.creating');
    r.stdin.write('c');
    const f = await until(r, 'end of trace', 30_000);
    expect(f).toMatch(new RegExp(`Steps ${(trace.length + 1) / 2 | 0}/`));
  });
});
