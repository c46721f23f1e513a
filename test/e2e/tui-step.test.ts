// The TUI as a student drives it, in a real terminal (tmux): `tslab oci run --step` waits before
// the very first step (no container process exists yet), each key runs one step with its
// explanation on screen, `c` runs to the end, and the container's exit code comes back.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeBundle, uniqueId } from '../helpers/bundle.js';
import { run, TSLAB } from '../helpers/runtimes.js';
import { descendants, hasTmux, ociRunInTmux, screen, tmux, waitScreen as waitScreenFor } from '../helpers/tmux.js';

const waitScreen = (session: string, what: string, test: (s: string) => boolean, timeoutMs = 20_000): Promise<string> =>
  waitScreenFor(session, what, test, timeoutMs);

const isRoot = process.getuid?.() === 0;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanups.splice(0).reverse()) {
    try {
      f();
    } catch (err) {
      console.error('cleanup:', err);
    }
  }
});

function cgroupsNamed(id: string): string[] {
  const found: string[] = [];
  for (const controller of readdirSync('/sys/fs/cgroup')) {
    if (existsSync(join('/sys/fs/cgroup', controller, id))) found.push(join('/sys/fs/cgroup', controller, id));
  }
  if (existsSync(join('/sys/fs/cgroup', id))) found.push(join('/sys/fs/cgroup', id));
  return found;
}

function startInTmux(args: string[], program = ['/bin/sh', '-c', 'echo hello-from-tslabt-container; exit 7']): { session: string; id: string; root: string } {
  return ociRunInTmux('tui', args, program, cleanups);
}

// Stepping to pivot_root is ~100 keys, each waiting for the screen: allow a slow, shared machine.
describe.skipIf(!isRoot || !hasTmux)('tslab oci run --step in tmux (needs root and tmux)', { timeout: 180_000 }, () => {
  it('waits before the first step, steps with explanations, continues to the end and returns the exit code', async () => {
    const { session, id } = startInTmux(['--step']);
    const first = await waitScreen(session, 'the first step waiting', (s) => s.includes('waiting for you') && s.includes('▶'));
    expect(first).toContain('STEP · waiting');
    expect(first).toMatch(/lifecycle: \[creating\] → created → running → stopped → deleted/);
    expect(first).toContain('What:');

    // Nothing of the container exists before the first key: no process below the runtime, no cgroup.
    const panePid = Number(tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim());
    const tree = descendants(panePid);
    expect(tree.length, `pane processes: ${tree.join(' ')}`).toBe(2); // the TUI and the runtime it watches
    const comms = tree.map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' '));
    expect(comms.every((c) => c.includes('bin/tslab'))).toBe(true);
    expect(cgroupsNamed(id)).toEqual([]);

    // Step until pivot_root is the waiting step, one key at a time, each key making progress.
    let s = first;
    for (let presses = 0; !/▶ pivot_root/.test(s); presses++) {
      if (presses > 400) throw new Error(`pivot_root never came up:\n${s}`);
      const before = /Steps (\d+)\//.exec(s)?.[1];
      tmux('send-keys', '-t', session, 'Space');
      s = await waitScreen(session, 'the next step', (now) => /Steps (\d+)\//.exec(now)?.[1] !== before && now.includes('▶'));
    }
    expect(s).toContain('Swap the root filesystem');
    expect(s).toMatch(/pivot_root  \[init pid \d+\]  waiting for you/);
    expect(s).toMatch(/NEW +mnt/); // the init is in its own mount namespace by now
    expect(tree.length).toBeGreaterThan(0);
    expect(descendants(panePid).length, 'the init exists now').toBeGreaterThan(2);

    tmux('send-keys', '-t', session, 'c');
    const end = await waitScreen(session, 'the run to finish', (now) => now.includes('exited, exit code 7'), 30_000);
    expect(end).toMatch(/\[deleted\]/);
    tmux('send-keys', '-t', session, 'Tab');
    tmux('send-keys', '-t', session, 'Tab');
    await waitScreen(session, 'the output pane', (now) => now.includes('hello-from-tslabt-container'));
    tmux('send-keys', '-t', session, 'q');
    const after = await waitScreen(session, 'the shell to print the exit code', (now) => now.includes('TSLAB-EXIT='));
    expect(after).toContain('TSLAB-EXIT=7');
    expect(after).toContain('hello-from-tslabt-container'); // the output is left in the terminal
    expect(cgroupsNamed(id)).toEqual([]);
  });

  it('steps through the whole run, create → start → delete, a key per step, never stuck', async () => {
    const { session } = startInTmux(['--step']);
    let s = await waitScreen(session, 'the first step waiting', (now) => now.includes('waiting for you'));
    let presses = 0;
    let idle = 0;
    while (!s.includes('exited, exit code')) {
      if (presses > 600) throw new Error(`the run never ended:\n${s}`);
      const before = /Steps (\d+)\//.exec(s)?.[1];
      tmux('send-keys', '-t', session, 'Space');
      presses++;
      try {
        s = await waitScreen(session, `progress after key ${presses}`,
          (now) => now.includes('exited, exit code') || (/Steps (\d+)\//.exec(now)?.[1] !== before && now.includes('▶')), 5000);
      } catch {
        // A key can run a step that shows nothing yet: the init's open(exec.fifo) blocks until
        // start, while the runtime's `created` waits too (two processes share the control pipe).
        idle++;
        s = screen(session);
      }
    }
    const steps = Number(/Steps \d+\/(\d+)/.exec(s)?.[1]);
    expect(s).toContain('exited, exit code 7');
    expect(s).toMatch(/\[deleted\]/);
    expect(idle, 'keys that made no visible progress').toBeLessThanOrEqual(3);
    // keys never ran ahead of the screen: about one key per step
    expect(presses).toBeGreaterThan(steps * 0.9);
    expect(presses).toBeLessThanOrEqual(steps + idle);
    tmux('send-keys', '-t', session, 'q');
    expect(await waitScreen(session, 'the exit code', (now) => now.includes('TSLAB-EXIT='))).toContain('TSLAB-EXIT=7');
  });

  it('q in the middle of stepping lets the runtime clean up the container', async () => {
    const { session, id } = startInTmux(['--step']);
    let s = await waitScreen(session, 'the first step waiting', (now) => now.includes('waiting for you'));
    for (let presses = 0; !/▶ (mount|pivot_root) /.test(s); presses++) { // the init's mounts, not the runtime's mount_setattr
      if (presses > 400) throw new Error(`no mount step came up:\n${s}`);
      const before = /Steps (\d+)\//.exec(s)?.[1];
      tmux('send-keys', '-t', session, 'Space');
      s = await waitScreen(session, 'the next step', (now) => /Steps (\d+)\//.exec(now)?.[1] !== before && now.includes('▶'));
    }
    expect(cgroupsNamed(id).length).toBeGreaterThan(0);
    tmux('send-keys', '-t', session, 'q');
    const after = await waitScreen(session, 'the exit code', (now) => now.includes('TSLAB-EXIT='), 30_000);
    expect(after).toMatch(/TSLAB-EXIT=\d+/);
    expect(cgroupsNamed(id)).toEqual([]);
  });

  it('q on a running container whose PID 1 ignores SIGTERM still stops and deletes it', async () => {
    const { session, id, root } = startInTmux(['--step'], ['/bin/sleep', '300']);
    await waitScreen(session, 'the first step waiting', (now) => now.includes('waiting for you'));
    tmux('send-keys', '-t', session, 'c');
    await waitScreen(session, 'the container running', (now) => /\[running\]/.test(now), 30_000);
    const listed = spawnSync(process.execPath, [TSLAB, 'oci', '--root', root, 'list', '-q'], { encoding: 'utf8' }).stdout;
    expect(listed).toContain(id);
    tmux('send-keys', '-t', session, 'q');
    const after = await waitScreen(session, 'the run to end after q', (now) => now.includes('TSLAB-EXIT='), 30_000);
    expect(after).toMatch(/TSLAB-EXIT=\d+/);
    expect(cgroupsNamed(id)).toEqual([]);
    expect(spawnSync(process.execPath, [TSLAB, 'oci', '--root', root, 'list', '-q'], { encoding: 'utf8' }).stdout).not.toContain(id);
  });

  it('--tui watches live without stopping', async () => {
    const { session } = startInTmux(['--tui']);
    const end = await waitScreen(session, 'the live run to finish', (now) => now.includes('exited, exit code 7'), 30_000);
    expect(end).toContain('LIVE');
    tmux('send-keys', '-t', session, 'q');
    expect(await waitScreen(session, 'the exit code', (now) => now.includes('TSLAB-EXIT='))).toContain('TSLAB-EXIT=7');
  });
});

describe.skipIf(!isRoot)('tslab oci run --tui without a terminal (needs root)', { timeout: 120_000 }, () => {
  it('prints one plain line per step on stderr, the container output on stdout, and its exit code; the trace replays in tmux', async () => {
    const id = uniqueId('tuiplain');
    const root = mkdtempSync(join(tmpdir(), 'tslabt-tui-state-'));
    const bundle = makeBundle(['/bin/sh', '-c', 'echo hello-from-tslabt-container; exit 7'], undefined, id);
    const traceFile = join(root, 'run.jsonl');
    const session = `${id}-view`;
    try {
      const r = await run(TSLAB, ['--trace', traceFile, 'oci', '--root', root, 'run', '--tui', '--bundle', bundle.dir, id]);
      expect(r.code).toBe(7);
      expect(r.stdout).toBe('hello-from-tslabt-container\n');
      expect(r.stderr).toMatch(/^init:\d+ +ok +pivot_root \. \. \(/m);
      expect(r.stderr).toMatch(/^cli:\d+ +── deleted ──$/m);
      expect(r.stderr).not.toMatch(/\x1b\[/);
      // the recorded trace, stepped through in the TUI as if live
      if (!hasTmux) throw new Error('tmux is missing: apt-get install tmux (listed in .ci/run)');
      tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `'${process.execPath}' '${TSLAB}' trace view '${traceFile}'; echo VIEW-EXIT=$?; exec sleep 600`);
      const first = await waitScreen(session, 'the replay waiting at its first step', (now) => now.includes('REPLAY · waiting') && now.includes('▶'));
      expect(first).toMatch(/lifecycle: \[creating\]/);
      tmux('send-keys', '-t', session, 'Space');
      await waitScreen(session, 'the second step', (now) => /Steps 2\//.test(now));
      tmux('send-keys', '-t', session, 'c');
      const end = await waitScreen(session, 'the end of the trace', (now) => now.includes('end of trace'));
      expect(end).toMatch(/\[deleted\]/);
      tmux('send-keys', '-t', session, 'q');
      expect(await waitScreen(session, 'the viewer to exit', (now) => now.includes('VIEW-EXIT='))).toContain('VIEW-EXIT=0');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
      spawnSync(process.execPath, [TSLAB, 'oci', '--root', root, 'delete', '--force', id], { stdio: 'ignore' });
      bundle.cleanup();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

if (!isRoot || !hasTmux) console.warn(`SKIP tui-step e2e: ${!isRoot ? 'needs root' : 'needs tmux (apt-get install tmux)'}`);
