// A student task in a real terminal (tmux, CI=true): the lab waits while nothing is done and hints by
// what it sees; a command typed in a second terminal (`tslab lab shell`) makes it pass; `tslab lab
// status` lists the running lab; `tslab test` passes the same task through its reference solution.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftoversOf, ROOT, TSLAB, tslab } from './lab-helpers.js';
import { hasTmux, screen, waitScreen } from '../helpers/tmux.js';

if (!hasTmux) process.stderr.write('lab-task.test.ts: SKIPPED, the tmux package is missing\n');
const PREFIX = 'tslabt-task-';

describe.skipIf(!hasTmux)('a task lab', () => {
  it('waits, hints, passes after the student\'s command in a second terminal', async () => {
    const session = `tslabt-task-${process.pid}`;
    const dir = mkdtempSync(join(tmpdir(), 'tslabt-task-'));
    const done = join(dir, 'done');
    const lab = `${session}:0`;
    const second = `${session}:1`;
    try {
      execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '140', '-y', '50',
        `cd ${ROOT} && CI=true XDG_STATE_HOME=${dir} ${process.execPath} ${TSLAB} run copy-on-write --runtime runc --name-prefix ${PREFIX}; echo EXIT=$? > ${done}; sleep 600`]);
      let s = await waitScreen(lab, 'the task', (t) => t.includes('YOUR TURN') && t.includes('Nothing yet'), 90_000, 300);
      expect(s).toContain('sudo tslab lab shell overlay/copy-on-write c');
      expect(s).toContain('echo hello > /root/mine.txt');
      expect(s).toContain('Ctrl-C skips the task');
      expect(s).not.toContain('your file landed in the upper layer');

      const status = await tslab(['lab', 'status', '--name-prefix', PREFIX]);
      expect(status.stdout).toMatch(/^overlay\/copy-on-write: Overlay copy-on-write/m);
      expect(status.stdout).toMatch(/^ {2}c {2}tslabt-task-copy-on-write-c-\w+ {2}host pid \d+/m);

      // still waiting: nothing was done (the check keeps polling)
      expect(screen(lab, 300)).not.toContain('PASSED');
      execFileSync('tmux', ['new-window', '-t', session, `cd ${ROOT} && ${process.execPath} ${TSLAB} lab shell copy-on-write c --name-prefix ${PREFIX}; sleep 600`]);
      await waitScreen(second, 'the lab shell', (t) => t.includes('[copy-on-write c] #'), 30_000);
      execFileSync('tmux', ['send-keys', '-t', second, 'echo hello > /root/mine.txt; exit', 'Enter']);
      s = await waitScreen(lab, 'the task to pass', (t) => t.includes('PASSED: 6/6 checks passed'), 60_000, 300);
      expect(s).toContain('PASS (outside) your file landed in the upper layer (saw: root/mine.txt holds hello)');
      const deadline = Date.now() + 30_000;
      while (!existsSync(done) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(readFileSync(done, 'utf8').trim()).toBe('EXIT=0');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(leftoversOf(PREFIX)).toEqual([]);
  }, 180_000);

  it('tslab test passes the task by its reference solution; lab shell names a lab that is not running', async () => {
    const r = await tslab(['test', 'labs/overlay/copy-on-write', '--runtime', 'runc', '--name-prefix', PREFIX]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('ok   Your turn: a file of your own › your file landed in the upper layer');
    const none = await tslab(['lab', 'shell', 'copy-on-write', '--name-prefix', PREFIX]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no running lab "copy-on-write"');
    expect(leftoversOf(PREFIX)).toEqual([]);
  }, 120_000);
});
