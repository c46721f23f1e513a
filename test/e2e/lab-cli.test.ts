// The lab commands as people drive them: tslab run (plain, and in tmux), tslab lab list,
// tslab test with broken labs beside good ones, TAP output.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftoversOf, readJunit, ROOT, TSLAB, tslab } from './lab-helpers.js';
import { parseTrace } from '../../src/tracer/event.js';
import { removeDefaultNetworkAfterAll } from '../helpers/default-network.js';
import { waitScreen } from '../helpers/tmux.js';

const work = mkdtempSync(join(tmpdir(), 'tslabt-lab-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
removeDefaultNetworkAfterAll(); // the network labs bring up tslab0 on the default data root

describe('tslab lab list', () => {
  it('lists at least 18 labs with their titles', async () => {
    const r = await tslab(['lab', 'list']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').filter((l) => /^\s*\d+ /.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(18);
    expect(r.stdout).toMatch(/^\s*\d+ [ ✓] namespaces\/pid-namespace\s+PID namespace: PID 1 inside, a normal pid outside/m);
    expect(r.stdout).toMatch(/^\s*\d+ [ ✓] cgroups\/memory-limit\s+Memory limit/m);
  });
});

describe('tslab run', () => {
  it('narrates a lab in plain lines without a TTY, by bare name', async () => {
    const r = await tslab(['run', 'pid-namespace', '--runtime', 'runc', '--name-prefix', 'tslabt-run-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Lab namespaces/pid-namespace: PID namespace: PID 1 inside, a normal pid outside');
    expect(r.stdout).toContain('== Step 1/3: Look from inside');
    expect(r.stdout).toMatch(/ {3}c # ps -o pid,comm\n\s+PID\s+COMMAND\n\s+1 sleep/);
    expect(r.stdout).toContain('   PASS (inside) PID 1 inside is the container\'s sleep');
    expect(r.stdout).toMatch(/host \$ echo "host pid: \$PID_C"/);
    // without a terminal the task's reference solution runs
    expect(r.stdout).toMatch(/PASSED: 6\/6 checks passed/);
    expect(r.stdout).not.toMatch(/\x1b\[/); // no colours into a pipe
    expect(leftoversOf('tslabt-run-')).toEqual([]);
  });

  it('accepts labs/<name> and the full path too, and names unknown labs', async () => {
    for (const name of ['labs/uts-namespace', 'labs/namespaces/uts-namespace']) {
      const r = await tslab(['run', name, '--runtime', 'runc', '--name-prefix', 'tslabt-run-']);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('Lab namespaces/uts-namespace');
    }
    const r = await tslab(['run', 'no-such-lab', '--runtime', 'runc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no lab "no-such-lab"');
  });

  it('runs in the TUI in a terminal (tmux): narration, steps, checks, and Enter between steps with --pause', async () => {
    const session = `tslabt-labrun-${process.pid}`;
    const done = join(work, 'tmux-done');
    const until = (what: string, ok: (screen: string) => boolean): Promise<string> => waitScreen(session, what, ok, 60_000, 300);
    try {
      execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '140', '-y', '60',
        // CI=true as CI systems set it: Ink must still draw every frame in a terminal (a CI failure once)
        `cd ${ROOT} && CI=true ${process.execPath} ${TSLAB} run pid-namespace --pause --solve --runtime runc --name-prefix tslabt-tmux-; echo EXIT=$? > ${done}; sleep 600`]);
      // --pause runs nothing before the first key: no container, no step, no command
      let screen = await until('the prompt to start', (s) => s.includes('Enter: start the lab, step 1'));
      expect(screen).toContain('Lab namespaces/pid-namespace');
      expect(screen).not.toContain('[container c] created');
      expect(screen).not.toContain('== Step 1/3');
      expect(leftoversOf('tslabt-tmux-').filter((l) => /^(mount|cgroup) /.test(l))).toEqual([]);
      const enter = (): void => void execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
      enter();
      // predict, then see: the step's commands ran, its checks wait for a key
      screen = await until('the prompt before the checks', (s) => s.includes('Enter: run the checks'));
      expect(screen).toContain('Inside, ps lists only the container\'s processes.');
      expect(screen).toMatch(/c # ps -o pid,comm/);
      expect(screen).not.toContain('PASS (inside)');
      enter();
      screen = await until('prompt for the next step', (s) => s.includes('Enter: next step'));
      // every check says what it saw, pass or fail
      expect(screen).toMatch(/PASS \(inside\) PID 1 inside is the container's sleep \(saw: sleep\)/);
      expect(screen).toMatch(/checks: 2 passed, 0 failed/);
      expect(screen).not.toContain('== Step 2/3');
      enter();
      await until('the prompt before step 2\'s checks', (s) => s.includes('== Step 2/3') && s.includes('Enter: run the checks'));
      enter();
      await until('the prompt for step 3', (s) => s.includes('checks: 5 passed, 0 failed') && s.includes('Enter: next step'));
      enter();
      // --solve: the task's reference solution runs in the student's place
      screen = await until('the end', (s) => s.includes('PASSED: 6/6 checks passed in'));
      expect(screen).toContain('PASS (outside) NSpid lists the host pid, then 1');
      expect(screen).toMatch(/PASS \(outside\) your sleep runs in the container's PID namespace, with a pid there and another on the host \(saw: sleep 4242 is pid \d+/);
      expect(screen).toMatch(/checks: 6 passed, 0 failed/);
      const deadline = Date.now() + 30_000;
      while (!existsSync(done) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(readFileSync(done, 'utf8').trim()).toBe('EXIT=0');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
    expect(leftoversOf('tslabt-tmux-')).toEqual([]);
  }, 120_000);
});

/** Starts `tslab run cpu-quota` (plain lines) and resolves once it prints step 2. */
async function runToStep2(prefix: string): Promise<{ child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [TSLAB, 'run', 'cpu-quota', '--runtime', 'runc', '--name-prefix', prefix], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no step 2 within 30 s:\n${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('== Step 2/2')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { child, out: () => out, err: () => err, exited };
}

describe('interrupting a lab', () => {
  it('closing its terminal (SIGHUP) in the middle of a paused lab still removes the containers', async () => {
    const session = `tslabt-labhup-${process.pid}`;
    try {
      execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '40',
        `cd ${ROOT} && exec ${process.execPath} ${TSLAB} run pid-namespace --pause --runtime runc --name-prefix tslabt-hup-`]);
      const panePid = Number(execFileSync('tmux', ['display-message', '-p', '-t', session, '#{pane_pid}'], { encoding: 'utf8' }).trim());
      await waitScreen(session, 'the prompt to start', (s) => s.includes('Enter: start the lab'), 60_000, 300);
      execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
      await waitScreen(session, 'the prompt before the checks', (s) => s.includes('Enter: run the checks'), 60_000, 300);
      expect(leftoversOf('tslabt-hup-').length).toBeGreaterThan(0); // the container is up and waiting
      spawnSync('tmux', ['kill-session', '-t', session]); // as closing the terminal window does
      const gone = Date.now() + 30_000;
      while (existsSync(`/proc/${panePid}`) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(`/proc/${panePid}`), 'tslab run still alive 30 s after SIGHUP').toBe(false);
      expect(leftoversOf('tslabt-hup-')).toEqual([]);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
      await tslab(['lab', 'gc', '--name-prefix', 'tslabt-hup-']);
    }
  }, 120_000);

  it('Ctrl-C stops before the next step and still removes the containers', async () => {
    const run = await runToStep2('tslabt-int-');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    expect(run.err()).toContain('SIGINT: stopping after the current command');
    expect(run.out()).toMatch(/interrupted: stopped before the next step/);
    expect(run.out()).toContain('[container c] deleted');
    expect(leftoversOf('tslabt-int-')).toEqual([]);
  }, 60_000);
});

describe('a runner that dies', () => {
  it('leaves a scratch folder that tslab lab gc (and the next run) cleans up', async () => {
    const run = await runToStep2('tslabt-gc-');
    run.child.kill('SIGKILL');
    await run.exited;
    expect(leftoversOf('tslabt-gc-').length).toBeGreaterThan(0); // the overlay mount and the cgroups are still there
    const r = await tslab(['lab', 'gc', '--name-prefix', 'tslabt-gc-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^removed \/.*tslabt-gc-cpu-quota-/m);
    expect(leftoversOf('tslabt-gc-')).toEqual([]);
    expect((await tslab(['lab', 'gc', '--name-prefix', 'tslabt-gc-'])).stdout).toBe('nothing to remove\n');
  }, 90_000);
});

describe('tslab test with broken labs', () => {
  it('names the lab and line of each problem, and still runs the others', async () => {
    const out = join(work, 'broken.xml');
    const r = await tslab(['test', 'test/e2e/lab-fixtures/broken', '--runtime', 'runc', '--reporter', 'junit', '--output', out, '--name-prefix', 'tslabt-broken-']);
    expect(r.code).toBe(1);
    const cases = readJunit(out);
    const bySuite = (s: string) => cases.filter((c) => c.suite === `test/e2e/lab-fixtures/broken/${s}`);

    expect(bySuite('good')).toEqual([{ suite: 'test/e2e/lab-fixtures/broken/good', name: 'one check › hostname is good-box', status: 'pass', message: undefined }]);

    const syntax = bySuite('syntax-error');
    expect(syntax).toHaveLength(1);
    expect(syntax[0]!.status).toBe('error');
    expect(syntax[0]!.message).toBe('test/e2e/lab-fixtures/broken/syntax-error: test/e2e/lab-fixtures/broken/syntax-error/lab.ts:6:3: syntax error: \',\' expected.');

    const image = bySuite('missing-image');
    expect(image[0]!.status).toBe('error');
    expect(image[0]!.message).toMatch(/^test\/e2e\/lab-fixtures\/broken\/missing-image: test\/e2e\/lab-fixtures\/broken\/missing-image\/lab.ts:7: container "c": image "tslabt-no-such-image" is not available/);

    const throwing = bySuite('throwing-check');
    expect(throwing.map((c) => [c.name, c.status])).toEqual([['checks › passes', 'pass'], ['checks › throws', 'error'], ['checks › still runs', 'pass']]);
    expect(throwing[1]!.message).toBe('test/e2e/lab-fixtures/broken/throwing-check/lab.ts:18:19: check threw: this check is broken on purpose');

    expect(r.stderr).toContain('PASS test/e2e/lab-fixtures/broken/good');
    expect(r.stderr).toContain('1/4 labs passed');
    expect(leftoversOf('tslabt-broken-')).toEqual([]);
  }, 120_000);

  it('prints TAP 13 on stdout', async () => {
    const r = await tslab(['test', 'uts-namespace', '--runtime', 'runc', '--reporter', 'tap', '--name-prefix', 'tslabt-tap-']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('TAP version 13');
    expect(lines).toContain('ok 1 - namespaces/uts-namespace: Ask both sides › inside, the hostname is the one config.json asked for');
    expect(lines.at(-1)).toBe('1..3');
  });

  it('--jobs runs labs in processes at once and reports them in the serial order', async () => {
    const labs = ['uts-namespace', 'pid-namespace', 'ipc-namespace'];
    const run = (jobs: string): ReturnType<typeof tslab> =>
      tslab(['test', ...labs, '--runtime', 'runc', '--reporter', 'tap', '--jobs', jobs, '--name-prefix', 'tslabt-jobs-']);
    const [parallel, serial] = [await run('2'), await run('1')];
    expect(parallel.code, parallel.stderr).toBe(0);
    expect(serial.code, serial.stderr).toBe(0);
    const points = (out: string): string[] => out.split('\n').filter((l) => /^(not )?ok \d+ /.test(l));
    expect(points(parallel.stdout).length).toBeGreaterThan(labs.length);
    expect(points(parallel.stdout)).toEqual(points(serial.stdout));
    expect(leftoversOf('tslabt-jobs-')).toEqual([]);
  }, 180_000);

  it('--report writes an index, a page per lab and, with our tracing runtime, its trace report', async () => {
    const dir = join(work, 'report');
    const r = await tslab(['test', 'uts-namespace', 'pid-namespace', '--runtime', 'tslab', '--report', dir, '--name-prefix', 'tslabt-rep-']);
    expect(r.code, r.stderr).toBe(0);
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(index).toContain('<a href="namespaces--uts-namespace.html">namespaces/uts-namespace</a>');
    expect(index).toContain('<a href="namespaces--pid-namespace/index.html">trace</a>');
    expect(readFileSync(join(dir, 'namespaces--pid-namespace.html'), 'utf8')).toContain('NSpid lists the host pid, then 1');
    const trace = readFileSync(join(dir, 'namespaces--pid-namespace', 'index.html'), 'utf8');
    expect(trace).toContain('NSpid lists the host pid, then 1'); // the lab's checks on top of the trace report
    expect(trace).toMatch(/pivot_root/); // the runtime's traced steps
    // ours runs in the lab's process and still traces as a runtime process: its stage, its init's
    const stages = new Set(parseTrace(readFileSync(join(dir, 'namespaces--pid-namespace', 'trace.jsonl'), 'utf8')).map((e) => e.stage));
    expect([...stages].sort()).toEqual(['cli', 'init', 'lab']);
    expect(existsSync(join(dir, 'namespaces--pid-namespace', 'recording.cast'))).toBe(true);
    expect(leftoversOf('tslabt-rep-')).toEqual([]);
  }, 120_000);

  it('tslab run --steps shows every traced step of our runtime', async () => {
    const r = await tslab(['run', 'uts-namespace', '--runtime', 'tslab', '--steps', '--name-prefix', 'tslabt-steps-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/── created ──/);
    expect(r.stdout).toMatch(/ok\s+sethostname lab-box/);
    expect(r.stdout).not.toContain('--steps shows them');
  }, 60_000);

  it('refuses an unknown reporter', async () => {
    const r = await tslab(['test', '--reporter', 'xml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--reporter xml: use plain, tap or junit');
    const jobs = await tslab(['test', '--jobs', '0']);
    expect(jobs.code).toBe(1);
    expect(jobs.stderr).toContain('--jobs 0: give a whole number of labs to run at once, 1 or more');
  });
});
