// The scenario every engine runs on tslab-runtime and on runc: what an operator does with a
// container, step by step, each checked where the kernel shows it (cgroup files, /proc).
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { hasTmux, screen, shellWords, tmux, waitScreen } from '../../helpers/tmux.js';
import { waitFor } from '../../helpers/runtimes.js';
import { cgroupOf, leftBehind, memoryLimitFile, type Result } from './harness.js';

export type Status = 'running' | 'paused' | 'stopped';

/** One engine's command line for each step. */
export interface EngineDriver {
  /** run to completion: its output and exit code */
  run(name: string, cmd: string[], opts?: { memory?: number }): Promise<Result>;
  runDetached(name: string, cmd: string[], opts?: { memory?: number }): Promise<void>;
  exec(name: string, cmd: string[], tty: boolean): Promise<Result>;
  pid(name: string): Promise<number>;
  status(name: string): Promise<Status>;
  pause(name: string): Promise<Result>;
  unpause(name: string): Promise<Result>;
  stop(name: string): Promise<Result>;
  kill(name: string): Promise<Result>;
  top(name: string): Promise<Result>;
  /** undefined: the engine's CLI has no update (the reason is in `noUpdate`) */
  updateMemory?: (name: string, bytes: number) => Promise<Result>;
  noUpdate?: string;
  /** argv of `run -it NAME sh` for a terminal */
  interactive(name: string): string[];
  rm(name: string): Promise<void>;
  /** the id the runtime knows the container by */
  runtimeId(name: string): Promise<string>;
  /** where the runtime's and the engine's per-container state lives */
  stateRoots(): string[];
}

const ok = (r: Result, what: string): Result => {
  expect(r.code, `${what}: ${r.stderr}${r.stdout}`).toBe(0);
  return r;
};

async function untilStatus(e: EngineDriver, name: string, want: Status): Promise<void> {
  await waitFor(`${name} to be ${want}`, async () => ((await e.status(name)) === want ? true : undefined), 30_000);
}

/** Removes the container and checks that nothing of it is left. */
async function removeLeavingNothing(e: EngineDriver, name: string, id: string, pid: number): Promise<void> {
  await e.rm(name);
  await waitFor(`${name} to leave nothing`, () => (leftBehind(id, pid, e.stateRoots()).length === 0 ? true : undefined), 20_000)
    .catch(() => expect(leftBehind(id, pid, e.stateRoots())).toEqual([]));
}

export function scenario(engine: () => EngineDriver, unique: (label: string) => string): void {
  it('runs to completion with its output and exit code', async () => {
    const name = unique('run');
    const r = await engine().run(name, ['sh', '-c', 'echo out-$((6*7)); exit 7']);
    expect(r.stdout).toContain('out-42');
    expect(r.code).toBe(7);
  });

  it('detached: exec with and without a terminal, top, pause/unpause, update of the memory limit, stop, rm leaves nothing', async () => {
    const e = engine();
    const name = unique('life');
    await e.runDetached(name, ['sleep', '600'], { memory: 64 * 1024 * 1024 });
    try {
      await untilStatus(e, name, 'running');
      const pid = await e.pid(name);
      const id = await e.runtimeId(name);
      // the short sleeps: containerd 1.6's shim can lose the exit of an exec that ends before the
      // runtime's `exec --detach` has returned (docs/kubernetes.md), and the exec never finishes
      expect(ok(await e.exec(name, ['sh', '-c', 'echo exec-$((6*7)); sleep 0.5'], false), 'exec').stdout).toContain('exec-42');
      const tty = ok(await e.exec(name, ['sh', '-c', '[ -t 1 ] && echo has-a-tty; tty; sleep 0.5'], true), 'exec -t');
      expect(tty.stdout).toContain('has-a-tty');
      expect(tty.stdout).toMatch(/\/dev\/pts\/\d+/);
      expect(ok(await e.top(name), 'top').stdout).toMatch(new RegExp(`\\b${pid}\\b|sleep`));
      ok(await e.pause(name), 'pause');
      await untilStatus(e, name, 'paused');
      ok(await e.unpause(name), 'unpause');
      await untilStatus(e, name, 'running');
      const limit = memoryLimitFile(cgroupOf(pid));
      expect(Number(readFileSync(limit, 'utf8'))).toBe(64 * 1024 * 1024);
      if (e.updateMemory) {
        ok(await e.updateMemory(name, 96 * 1024 * 1024), 'update');
        expect(Number(readFileSync(limit, 'utf8'))).toBe(96 * 1024 * 1024);
      } else {
        process.stderr.write(`skipped update: ${e.noUpdate}\n`);
      }
      ok(await e.stop(name), 'stop');
      await untilStatus(e, name, 'stopped');
      await removeLeavingNothing(e, name, id, pid);
    } finally {
      await e.rm(name).catch(() => {});
    }
  });

  it('kill stops it; rm leaves nothing', async () => {
    const e = engine();
    const name = unique('kill');
    await e.runDetached(name, ['sleep', '600']);
    try {
      await untilStatus(e, name, 'running');
      const [pid, id] = [await e.pid(name), await e.runtimeId(name)];
      ok(await e.kill(name), 'kill');
      await untilStatus(e, name, 'stopped');
      expect(existsAlive(pid)).toBe(false);
      await removeLeavingNothing(e, name, id, pid);
    } finally {
      await e.rm(name).catch(() => {});
    }
  });

  it('a memory limit that the program exceeds kills it (137)', async () => {
    const r = await engine().run(unique('oom'), ['sh', '-c', 'a=x; while :; do a=$a$a; done'], { memory: 32 * 1024 * 1024 });
    expect(r.code).toBe(137);
  });

  it.skipIf(!hasTmux)('-it in tmux: a terminal of the size of the window, which follows a resize', async () => {
    const e = engine();
    const name = unique('tty');
    const session = name;
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `${shellWords(e.interactive(name))}; echo "exited $?"; sleep 600`);
    try {
      await waitScreen(session, 'a shell prompt', (s) => /[#$]\s*$/m.test(s), 60_000);
      // the engine sets the size asynchronously, the first one too (docker: CLI → daemon → shim, after
      // the shell may already be up with a 0x0 terminal): ask again until it has
      await askUntil(session, 'stty size', '24 80');
      tmux('resize-window', '-t', session, '-x', '100', '-y', '30');
      await askUntil(session, 'stty size', '30 100');
      tmux('send-keys', '-t', session, 'exit 3', 'Enter');
      await waitScreen(session, 'the exit code', (s) => /exited 3/.test(s), 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${screen(session)}`);
    } finally {
      tmux('kill-session', '-t', session);
      await e.rm(name).catch(() => {});
    }
  });
}

/** Types `clear; <command>` until a line of the screen reads `expected`, for up to 30 s. */
async function askUntil(session: string, command: string, expected: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  const line = new RegExp(`^${expected}$`, 'm');
  for (;;) {
    tmux('send-keys', '-t', session, `clear; ${command}`, 'Enter');
    try {
      await waitScreen(session, `${command} ${expected}`, (s) => line.test(s), 2_000);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
}

function existsAlive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
