// The live protocol end to end, with a real child that traces through the real tracer (dist/):
// nothing runs before the first key, each key runs one step, output is captured, q ends stepping.
import { afterEach, describe, expect, it } from 'vitest';
import React from 'react';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { render } from 'ink-testing-library';
import { App, type TuiResult } from '../../../src/tui/App.js';
import { LiveSource } from '../../../src/tui/sources/live.js';
import { waitFor } from './helpers.js';

const EMITTER = new URL('./fixtures/emitter.mjs', import.meta.url).pathname;
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).reverse().forEach((f) => f()));

function start(stepping: boolean, exitCode: number, extra = 0): { r: ReturnType<typeof render>; done: TuiResult[]; marker: string; source: LiveSource } {
  const dir = mkdtempSync(join(tmpdir(), 'tslabt-tui-live-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, 'first-step-ran');
  const source = new LiveSource({ command: [process.execPath, EMITTER, marker, String(exitCode), String(extra)], stepping, graceMs: 200, killAfterMs: 2000 });
  cleanups.push(() => {
    if (source.child && source.child.exitCode === null && source.child.signalCode === null) source.child.kill('SIGKILL');
  });
  const done: TuiResult[] = [];
  const r = render(<App source={source} title="emitter" columns={80} rows={24} pollMs={50} onDone={(d) => done.push(d)} />);
  cleanups.push(() => r.unmount());
  return { r, done, marker, source };
}

const frame = (r: ReturnType<typeof render>): string => r.lastFrame() ?? '';
const until = (r: ReturnType<typeof render>, text: string | RegExp, ms = 15_000): Promise<string> =>
  waitFor(`a frame showing ${String(text)}`, () => {
    const f = frame(r);
    return (typeof text === 'string' ? f.includes(text) : text.test(f)) ? f : undefined;
  }, ms);

describe('TUI live stepping over the events/control fds', () => {
  it('blocks the child before its first step until space, then steps, shows output, failures and the exit code', async () => {
    const { r, done, marker } = start(true, 3);
    await until(r, '▶ state.creating');
    expect(frame(r)).toContain('STEP');
    expect(frame(r)).toContain('container tslabt-emitter');
    expect(existsSync(marker), 'the first step must not run before the first key').toBe(false);
    r.stdin.write(' ');
    await until(r, '▶ unshare CLONE_NEWUTS');
    expect(existsSync(marker), 'unshare is blocked at its begin').toBe(false);
    expect(frame(r)).toContain('Create new namespaces for this process');
    r.stdin.write(' ');
    await until(r, '▶ sethostname tslabt');
    expect(existsSync(marker)).toBe(true);
    r.stdin.write(' ');
    await until(r, '▶ mount proc /proc -t proc');
    r.stdin.write(' ');
    const failed = await until(r, /✗ mount proc \/proc -t proc +EPERM/);
    expect(failed).toContain('▶ state.stopped');
    r.stdin.write('\t');
    r.stdin.write('\t');
    await until(r, 'hello from the container');
    expect(frame(r)).toContain('a line on stderr');
    r.stdin.write(' ');
    const end = await until(r, 'exited, exit code 3');
    expect(end).toMatch(/\[stopped\]/);
    r.stdin.write('q');
    await waitFor('the TUI to close', () => done[0]);
    expect(done[0]).toMatchObject({ code: 3, quit: true });
    expect(done[0]!.output).toContain('hello from the container');
  });

  it('c runs to the end without further keys', async () => {
    const { r, done } = start(true, 0, 50);
    await until(r, '▶ state.creating');
    r.stdin.write('c');
    await until(r, 'exited, exit code 0');
    expect(frame(r)).toMatch(/Steps 55\/55/);
    r.stdin.write('q');
    await waitFor('the TUI to close', () => done[0]);
  });

  it('q while stepping closes the control pipe: the child stops waiting and finishes by itself', async () => {
    const { r, done, marker } = start(true, 5);
    await until(r, '▶ state.creating');
    r.stdin.write('q');
    await waitFor('the child to finish after q', () => done[0]);
    expect(done[0]).toMatchObject({ code: 5, quit: true });
    expect(existsSync(marker)).toBe(true);
  });

  it('--tui without stepping never blocks', async () => {
    const { r, done } = start(false, 0);
    const f = await until(r, 'exited, exit code 0');
    expect(f).toContain('LIVE');
    expect(f).not.toContain('▶');
    r.stdin.write(' ');
    await until(r, 'not stepping');
    r.stdin.write('q');
    await waitFor('the TUI to close', () => done[0]);
  });
});
