// runUnderTui as command authors call it, in plain mode (no terminal): the child gets the events
// fd, its output passes through, one line per step is written, and its exit code comes back.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { runUnderTui, stripTuiFlags, tslabBin } from '../../../src/tui/run.js';
import { isDescendant } from '../../../src/tui/sources/live.js';
import { waitFor } from './helpers.js';

const EMITTER = new URL('./fixtures/emitter.mjs', import.meta.url).pathname;
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).reverse().forEach((f) => f()));

describe('runUnderTui', () => {
  it('strips --tui and --step and finds bin/tslab', () => {
    expect(stripTuiFlags(['oci', 'run', '--step', '--bundle', 'b', '--tui', 'id'])).toEqual(['oci', 'run', '--bundle', 'b', 'id']);
    expect(existsSync(tslabBin())).toBe(true);
  });

  it('plain mode: one line per step, the exit code of the child, --step explained away', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tslabt-run-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const lines: string[] = [];
    const code = await runUnderTui([join(dir, 'marker'), '4', '--step'], {
      step: true, command: [process.execPath, EMITTER], plain: true, write: (s) => lines.push(s),
    });
    expect(code).toBe(4);
    const text = lines.join('');
    expect(text).toContain('--step needs a terminal');
    expect(text).toMatch(/^cli:\d+ +ok +unshare CLONE_NEWUTS \(/m);
    expect(text).toMatch(/^cli:\d+ +FAIL mount proc \/proc -t proc → EPERM: mount failed: EPERM$/m);
    expect(text).toMatch(/^cli:\d+ +── stopped ──$/m);
    expect(existsSync(join(dir, 'marker'))).toBe(true);
  });

  it('refuses to nest inside another TUI', async () => {
    process.env.TSLAB_EVENTS_FD = '3';
    cleanups.push(() => delete process.env.TSLAB_EVENTS_FD);
    await expect(runUnderTui(['x'], { step: false, plain: true })).rejects.toThrow(/cannot nest/);
  });
});

describe('isDescendant (q only signals processes our child started)', () => {
  it('is true for a grandchild and false for an unrelated process', async () => {
    const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    cleanups.push(() => child.kill('SIGKILL'));
    const grandchild = await waitFor('the grandchild', () => {
      try {
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
        return kids ? Number(kids.split(' ')[0]) : undefined;
      } catch {
        return undefined;
      }
    });
    cleanups.push(() => { try { process.kill(grandchild, 'SIGKILL'); } catch { /* gone */ } });
    expect(isDescendant(grandchild, process.pid)).toBe(true);
    expect(isDescendant(grandchild, child.pid!)).toBe(true);
    expect(isDescendant(process.pid, child.pid!)).toBe(false);
    expect(isDescendant(1, child.pid!)).toBe(false);
  });
});
