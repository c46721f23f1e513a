// Driving a program in a real terminal: tmux sessions, their screen, and waiting for what a student
// would wait for (polling with a deadline, never a fixed sleep).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from './bundle.js';
import { TSLAB } from './runtimes.js';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

export function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

/** The visible screen, and `scrollback` lines above it. */
export const screen = (session: string, scrollback = 0): string =>
  tmux('capture-pane', '-p', '-t', session, ...(scrollback > 0 ? ['-S', `-${scrollback}`] : []));

export async function waitScreen(session: string, what: string, test: (s: string) => boolean, timeoutMs = 20_000, scrollback = 0): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = screen(session, scrollback);
    if (test(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`);
}

/** Quotes words for the shell command line tmux runs. */
export function shellWords(words: string[]): string {
  return words.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

/** Pids of every descendant of `pid` (from /proc/<pid>/task/<pid>/children). */
export function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}

/**
 * `tslab oci run ARGS` of program, from a fresh bundle and state root, in a new 80x24 tmux session
 * that prints TSLAB-EXIT=<code> when it ends and then stays open. What to undo (session, container,
 * root, bundle) goes onto cleanups, to run last first.
 */
export function ociRunInTmux(tag: string, args: string[], program: string[], cleanups: Array<() => void>): { session: string; id: string; root: string } {
  const id = uniqueId(tag);
  const root = mkdtempSync(join(tmpdir(), `tslabt-${tag}-state-`));
  const bundle = makeBundle(program, undefined, id);
  const session = `${id}-tmux`;
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  cleanups.push(() => bundle.cleanup());
  // the container must be gone even if the test failed half-way
  cleanups.push(() => void spawnSync(process.execPath, [TSLAB, 'oci', '--root', root, 'delete', '--force', id], { stdio: 'ignore' }));
  cleanups.push(() => void spawnSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' }));
  const command = shellWords([process.execPath, TSLAB, 'oci', '--root', root, 'run', ...args, '--bundle', bundle.dir, id]);
  // CI=true as CI systems set it: Ink would draw only the last frame, a blank step-through (a CI failure once)
  tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', 'TERM=xterm-256color', '-e', 'CI=true',
    `${command}; echo TSLAB-EXIT=$?; exec sleep 600`);
  return { session, id, root };
}
