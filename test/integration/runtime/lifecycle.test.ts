// create → created → start → running → (kill) → stopped → delete, as the runtime-spec says, for ours
// and for runc, and the trace of a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';
import { parseTrace, completedSteps } from '../../../src/tracer/event.js';

let stateRoot: string;
beforeAll(() => { stateRoot = mkdtempSync(join(tmpdir(), 'tslabt-state-')); });
afterAll(() => rmSync(stateRoot, { recursive: true, force: true }));

const runtimes = (): Array<[string, string]> => [['tslab', TSLAB_RUNTIME], ['runc', runcPath()!]];

describe.each(runtimes())('%s lifecycle', (name, path) => {
  const root = (): string => join(stateRoot, name);
  const rt = (...args: string[]) => run(path, ['--root', root(), ...args]);
  const status = async (id: string): Promise<string> => JSON.parse((await rt('state', id)).stdout).status as string;

  it('moves through created, running, stopped and is gone after delete', async () => {
    const id = uniqueId(`${name}-lc`);
    const bundle = makeBundle(['sleep', '30'], undefined, id);
    const pidFile = join(bundle.dir, 'pid');
    try {
      const created = await rt('create', '--bundle', bundle.dir, '--pid-file', pidFile, id);
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const pidText = readFileSync(pidFile, 'utf8');
      expect(pidText).toMatch(/^\d+$/); // no newline: engines parse it bare
      const state = JSON.parse((await rt('state', id)).stdout);
      expect(state).toMatchObject({ id, status: 'created', pid: Number(pidText), bundle: bundle.dir });
      // created: the init exists but the program has not run
      expect(readFileSync(`/proc/${pidText}/cmdline`, 'utf8')).not.toContain('sleep');

      expect((await rt('start', id)).code).toBe(0);
      expect(await status(id)).toBe('running');
      expect(readFileSync(`/proc/${pidText}/cmdline`, 'utf8')).toContain('sleep');

      const refused = await rt('delete', id);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr.toLowerCase()).toMatch(/running|not stopped/);

      expect((await rt('kill', id, '9')).code).toBe(0);
      await waitFor('stopped', async () => ((await status(id)) === 'stopped' ? true : undefined));
      expect((await rt('delete', id)).code).toBe(0);
      const gone = await rt('state', id);
      expect(gone.code).not.toBe(0);
      expect(gone.stderr).toContain('does not exist');
    } finally {
      await rt('delete', '--force', id);
      bundle.cleanup();
    }
  });

  it('forwards a kill to a foreground run and exits 128+N', async () => {
    const id = uniqueId(`${name}-sig`);
    const bundle = makeBundle(['sleep', '30'], undefined, id);
    try {
      const child = spawn(path, ['--root', root(), 'run', '--bundle', bundle.dir, id], { stdio: 'ignore' });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await waitFor('running', async () => ((await rt('state', id)).stdout.includes('"running"') ? true : undefined));
      await rt('kill', id, 'KILL');
      expect(await exited).toBe(137);
    } finally {
      await rt('delete', '--force', id);
      bundle.cleanup();
    }
  });

  it('delete --force of a missing container succeeds', async () => {
    expect((await rt('delete', '--force', uniqueId('missing'))).code).toBe(0);
  });
});

describe('the trace of a run', () => {
  it('holds every step with decoded flags, and every line is JSON', async () => {
    const id = uniqueId('trace');
    const bundle = makeBundle(['true'], (s) => {
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } };
    }, id);
    const traceFile = join(bundle.dir, 'trace.jsonl');
    try {
      const r = await run(TSLAB_RUNTIME, ['--root', join(stateRoot, 'trace'), '--trace', traceFile, 'run', '--bundle', bundle.dir, id]);
      expect(r.code).toBe(0);
      const text = readFileSync(traceFile, 'utf8');
      for (const line of text.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
      const events = parseTrace(text);
      const steps = completedSteps(events);
      const summaries = steps.map((e) => e.summary);
      const has = (re: RegExp): boolean => summaries.some((s) => re.test(s));
      expect(has(/^unshare CLONE_NEWPID$/)).toBe(true);
      expect(has(/^unshare .*CLONE_NEWNS.*CLONE_NEWUTS/)).toBe(true);
      expect(has(/^mount none \/ MS_REC\|MS_SLAVE/)).toBe(true);
      expect(has(/^pivot_root \. \.$/)).toBe(true);
      expect(has(/^sethostname tslab$/)).toBe(true);
      expect(has(/^execve true$/)).toBe(true);
      expect(has(/memory\.(limit_in_bytes|max) = 67108864/)).toBe(true);
      expect(has(/pids\.max = 50/)).toBe(true);
      expect(has(/cgroup\.procs = \d+/)).toBe(true);
      const lifecycle = steps.filter((e) => e.kind === 'lifecycle').map((e) => e.step);
      expect(lifecycle).toEqual(['state.creating', 'state.created', 'state.running', 'state.stopped', 'state.deleted']);
      expect(new Set(events.map((e) => e.stage))).toEqual(new Set(['cli', 'init']));
      const init = steps.filter((e) => e.stage === 'init');
      expect(init.every((e) => e.nspid === 1)).toBe(true);
    } finally {
      bundle.cleanup();
    }
  });

  it('TSLAB_TRACE in the environment works like --trace', async () => {
    const id = uniqueId('envtrace');
    const bundle = makeBundle(['true'], undefined, id);
    const traceFile = join(bundle.dir, 'env-trace.jsonl');
    try {
      const r = await run(TSLAB_RUNTIME, ['--root', join(stateRoot, 'trace'), 'run', '--bundle', bundle.dir, id],
        { env: { ...process.env, TSLAB_TRACE: traceFile } });
      expect(r.code).toBe(0);
      expect(existsSync(traceFile)).toBe(true);
      expect(parseTrace(readFileSync(traceFile, 'utf8')).some((e) => e.step === 'execve')).toBe(true);
    } finally {
      bundle.cleanup();
    }
  });
});
