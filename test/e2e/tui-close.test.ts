// Closing the terminal of a TUI: `tslab oci run --step` whose container has ended waits for `q`;
// when its terminal goes (tmux kill-session, as closing the window does) nobody will press it. It
// used to stay for ever, orphaned, ignoring SIGTERM; it must exit and leave nothing. The same when
// the terminal closes while the container still runs: the TUI stops it, cleans up and exits.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { leftovers } from '../helpers/leftovers.js';
import { descendants, hasTmux, ociRunInTmux, tmux, waitScreen } from '../helpers/tmux.js';
import { poll } from './container-helpers.js';

const isRoot = process.getuid?.() === 0;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanups.splice(0).reverse()) f();
});

async function startInTmux(program: string[]): Promise<{ session: string; id: string; root: string; tui: number }> {
  const { session, id, root } = ociRunInTmux('reliab-close', ['--step'], program, cleanups);
  const pane = Number(tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim());
  // the pane's shell runs the TUI, which runs the runtime: the TUI is the pane's first child
  const tui = await poll('the TUI to start', () => descendants(pane)[0]);
  cleanups.push(() => {
    try {
      process.kill(tui, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  });
  return { session, id, root, tui };
}

async function closeAndExpectGone(t: { session: string; id: string; root: string; tui: number }): Promise<void> {
  spawnSync('tmux', ['kill-session', '-t', t.session]);
  await poll('the TUI to exit after its terminal closed', () => (existsSync(`/proc/${t.tui}`) ? undefined : true), 30_000);
  expect(readdirSync(t.root)).toEqual([]);
  expect(leftovers().filter((l) => l.includes(t.id))).toEqual([]);
}

describe.skipIf(!isRoot || !hasTmux)('a TUI whose terminal closes (needs root and tmux)', { timeout: 120_000 }, () => {
  it('oci run --step that ran to the end and waits for q exits when the terminal closes', async () => {
    const t = await startInTmux(['/bin/sh', '-c', 'echo bye; exit 7']);
    await waitScreen(t.session, 'the first step waiting', (s) => s.includes('waiting for you'), 30_000);
    tmux('send-keys', '-t', t.session, 'c');
    await waitScreen(t.session, 'the end, waiting for q', (s) => s.includes('exit code 7'), 60_000);
    await closeAndExpectGone(t);
  });

  it('oci run --step whose container still runs stops it, cleans up and exits when the terminal closes', async () => {
    const t = await startInTmux(['sleep', '300']);
    await waitScreen(t.session, 'the first step waiting', (s) => s.includes('waiting for you'), 30_000);
    tmux('send-keys', '-t', t.session, 'c');
    await waitScreen(t.session, 'the container running', (s) => s.includes('[running]'), 60_000);
    await closeAndExpectGone(t);
  });
});
