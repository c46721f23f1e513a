// Driving a program in a real terminal: tmux sessions, their screen, and waiting for what a student
// would wait for (polling with a deadline, never a fixed sleep).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
