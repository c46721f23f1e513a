// `tslab container run --step busybox true` in a real terminal (tmux): nothing of the container
// exists before the first key (the first step is the network lease, in tslab itself), each key
// runs one step, `c` runs to the end, and the exit code is on screen and back in the shell.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { TSLAB } from '../integration/image/registry.js';
import { uniqueName } from '../integration/net/helpers.js';
import { containerWorld, type ContainerWorld } from './container-helpers.js';
import { descendants, hasTmux, shellWords, tmux, waitScreen as waitScreenFor } from '../helpers/tmux.js';

const waitScreen = (session: string, what: string, test: (s: string) => boolean, timeoutMs = 30_000): Promise<string> =>
  waitScreenFor(session, what, test, timeoutMs);

const isRoot = process.getuid?.() === 0;
const cleanups: Array<() => void | Promise<void>> = [];

afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) {
    try {
      await f();
    } catch (err) {
      console.error('cleanup:', err);
    }
  }
});

function startInTmux(w: ContainerWorld, args: string[]): string {
  const session = uniqueName('tslabt-step-');
  cleanups.push(() => void spawnSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' }));
  const command = shellWords([process.execPath, TSLAB, 'container', 'run', ...args]);
  const env = ['TSLAB_DATA_ROOT', 'TSLAB_OFFLINE', 'TSLAB_CONFIG'].flatMap((k) => ['-e', `${k}=${w.env[k]}`]);
  tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', '-e', 'TERM=xterm-256color', ...env,
    `${command}; echo TSLAB-EXIT=$?; exec sleep 600`);
  return session;
}

describe.skipIf(!isRoot || !hasTmux)('tslab container run --step in tmux (needs root and tmux)', { timeout: 180_000 }, () => {
  it('no container process before the first key; keys step; the exit code is shown', async () => {
    const w = containerWorld();
    cleanups.push(() => w.cleanup());
    // the image once, outside the TUI, so the stepped run starts with tslab's own steps
    expect(spawnSync(process.execPath, [TSLAB, 'container', 'run', '--rm', '--network', 'none', 'busybox', 'true'], { env: w.env }).status).toBe(0);
    const session = startInTmux(w, ['--step', 'busybox', 'true']);
    const first = await waitScreen(session, 'the first step waiting', (s) => s.includes('waiting for you') && s.includes('▶'));
    expect(first).toContain('STEP · waiting');
    expect(first).toMatch(/Steps 1\/1/);
    expect(first).toMatch(/▶ IPAM: lease an address on network bridge/);

    // Before the first key: the TUI and `tslab container run` it watches, nothing else (no monitor,
    // no runtime, no init), and no network state yet.
    const panePid = Number(tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim());
    const tree = descendants(panePid);
    expect(tree.length, `pane processes: ${tree.join(' ')}`).toBe(2);
    const cmdlines = tree.map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' '));
    expect(cmdlines.every((c) => c.includes('bin/tslab container run'))).toBe(true);
    expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.toContain(w.settings.bridge);

    // Each key runs exactly one step: the count of finished steps goes up by one.
    let s = first;
    for (let i = 0; i < 5; i++) {
      const before = Number(/Steps (\d+)\//.exec(s)?.[1]);
      tmux('send-keys', '-t', session, 'Space');
      s = await waitScreen(session, `step ${i + 2}`, (now) => Number(/Steps (\d+)\//.exec(now)?.[1]) > before && now.includes('▶'));
      expect(s).toMatch(/IPAM: lease an address/);
    }

    tmux('send-keys', '-t', session, 'c');
    const end = await waitScreen(session, 'the run to finish', (now) => now.includes('exited, exit code 0'), 60_000);
    expect(end).toMatch(/RTM_NEWLINK|network|execve/);
    tmux('send-keys', '-t', session, 'q');
    const after = await waitScreen(session, 'the shell to print the exit code', (now) => now.includes('TSLAB-EXIT='));
    expect(after).toContain('TSLAB-EXIT=0');
    expect(after).toMatch(/container run busybox: exit code 0/);
    // the stepped run cleaned up like any other: no endpoint, no veth on the test bridge
    const left = execFileSync('ip', ['-o', 'link', 'show', 'master', w.settings.bridge], { encoding: 'utf8' });
    expect(left).toBe('');
  });
});
