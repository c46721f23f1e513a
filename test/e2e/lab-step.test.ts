// Stepping inside a lab, in a real terminal (tmux, CI=true as CI systems set it): `tslab run` stops
// at the lab's key steps in the TUI of --step, with the lab's words and the catalogue's explanation;
// --step stops at every step; with runc the lab says it cannot step and runs.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftoversOf, ROOT, TSLAB } from './lab-helpers.js';
import { hasTmux, waitScreen } from '../helpers/tmux.js';

if (!hasTmux) process.stderr.write('lab-step.test.ts: SKIPPED, the tmux package is missing\n');

/** Runs `tslab run ARGS` in a tmux session; resolves its screen helpers and exit status. */
async function inTmux(name: string, args: string, body: (s: { until: (what: string, ok: (screen: string) => boolean) => Promise<string>; keys: (...k: string[]) => void }) => Promise<void>): Promise<string> {
  const session = `tslabt-labstep-${name}-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'tslabt-labstep-'));
  const done = join(dir, 'done');
  try {
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '150', '-y', '50',
      `cd ${ROOT} && CI=true XDG_STATE_HOME=${dir} ${process.execPath} ${TSLAB} run ${args}; echo EXIT=$? > ${done}; sleep 600`]);
    await body({
      until: (what, ok) => waitScreen(session, what, ok, 90_000, 400),
      keys: (...k) => void execFileSync('tmux', ['send-keys', '-t', session, ...k]),
    });
    const deadline = Date.now() + 60_000;
    while (!existsSync(done) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return readFileSync(done, 'utf8').trim();
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasTmux)('stepping inside a lab', () => {
  it('pid-namespace stops at the unshare with CLONE_NEWPID before the container exists, explains it, and runs on with a key', async () => {
    const exit = await inTmux('keys', 'pid-namespace --solve --name-prefix tslabt-lstep-', async ({ until, keys }) => {
      const screen = await until('the key step', (s) => /▶ unshare CLONE_NEWPID/.test(s) && s.includes('waiting for you'));
      expect(screen).toContain('STEP · waiting');
      expect(screen).toContain('Lab: Before the container exists, the runtime asks for a new PID');
      expect(screen).toContain('Create new namespaces for this process');
      expect(screen).toContain('CLONE_NEWPID — pid: children get their own pid numbering');
      expect(screen).toContain('Namespaces: host → container'); // the namespaces and cgroup panels
      expect(screen).toContain('Cgroup');
      expect(screen).not.toContain('[container c] created');
      expect(screen).not.toContain('== Step 1/3');
      keys(' ');
      const end = await until('the end', (s) => s.includes('PASSED: 6/6 checks passed in'));
      expect(end).toContain('▶ key step: unshare CLONE_NEWPID');
      expect(end).toContain('PASS (inside) PID 1 inside is the container\'s sleep (saw: sleep)');
      expect(end).toMatch(/PASS \(outside\) NSpid lists the host pid, then 1 \(saw: \d+ 1\)/);
    });
    expect(exit).toBe('EXIT=0');
    expect(leftoversOf('tslabt-lstep-')).toEqual([]);
  }, 180_000);

  it('--step stops at every step; c continues to the end', async () => {
    const exit = await inTmux('all', 'uts-namespace --step --name-prefix tslabt-lstep-', async ({ until, keys }) => {
      const screen = await until('the first step', (s) => s.includes('STEP · waiting') && s.includes('waiting for you'));
      expect(screen).toMatch(/▶ creating tslabt-lstep-uts-namespace/);
      keys(' ');
      await until('the second step', (s) => /✓ creating tslabt-lstep-uts-namespace/.test(s) && s.includes('waiting for you'));
      keys('c');
      await until('the end', (s) => s.includes('PASSED:') && s.includes('checks passed in'));
    });
    expect(exit).toBe('EXIT=0');
    expect(leftoversOf('tslabt-lstep-')).toEqual([]);
  }, 180_000);

  it('with runc the lab says it cannot step and runs', async () => {
    const exit = await inTmux('runc', 'pid-namespace --solve --runtime runc --name-prefix tslabt-lstep-', async ({ until }) => {
      const end = await until('the end', (s) => s.includes('PASSED: 6/6 checks passed in'));
      expect(end).toContain('runc does not trace its steps: this lab cannot step through the container\'s creation');
    });
    expect(exit).toBe('EXIT=0');
  }, 120_000);
});
