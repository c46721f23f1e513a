// `tslab container …` as a user drives it, against both tslab's runtime and runc (the oracle),
// each test in its own data root, everything named tslabt-… and removed in finally.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDataRoot, tslab, waitFor } from '../integration/image/registry.js';
import { containerWorld } from './container-helpers.js';

const RUNTIMES: [string, string | undefined][] = [['tslab-runtime', undefined], ['runc', '/usr/sbin/runc']];
const roots: Array<{ dir: string; cleanup(): void | Promise<void> }> = [];

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
}

afterEach(async () => {
  // containers, networks (the default `bridge` is a private tslabt… bridge here), mounts, the folder
  for (const d of roots.splice(0)) await d.cleanup();
});

function setup(runtime: string | undefined): { env: NodeJS.ProcessEnv; dir: string; rt: string[] } {
  const w = containerWorld(runtime ? { runtime } : {});
  roots.push(w);
  return { env: w.env, dir: w.dir, rt: [] };
}

describe.each(RUNTIMES)('containers on %s', (_label, runtime) => {
  it('run --rm busybox sh -c \'echo $$\' prints 1 and leaves nothing behind', async () => {
    const { env, dir } = setup(runtime);
    const r = await tslab(['container', 'run', '--rm', 'busybox', 'sh', '-c', 'echo $$'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('1\n');
    expect(r.stderr).toMatch(/built it from the host's busybox-static/);
    expect((await tslab(['container', 'ps', '-aq'], env)).stdout).toBe('');
    expect(mountsUnder(dir)).toEqual([]);
    const again = await tslab(['container', 'run', '--rm', 'busybox', 'sh', '-c', 'exit 7'], env);
    expect(again.code).toBe(7);
    expect(again.stderr).toBe('');
  });

  it('-t gives the container a real pty (driven through script(1) as a terminal)', async () => {
    const { env } = setup(runtime);
    const cmd = `${process.execPath} ${join(__dirname, '../../bin/tslab')} container run -it --rm busybox sh -c 'test -t 0 && test -t 1 && echo is-a-tty; echo $TERM'`;
    // script's stdin stays open until the container is done: an early EOF would hang up the pty
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.end();
    expect(code, out).toBe(0);
    expect(out.replace(/\r/g, '')).toMatch(/is-a-tty\nxterm\n/);
  });

  it('keeps each container\'s writes in its own upperdir: diff shows them, the next container does not see them', async () => {
    const { env, dir } = setup(runtime);
    const first = await tslab(['container', 'run', '--name', 'tslabt-w1', 'busybox', 'sh', '-c', 'echo mine > /tslabt-f && rm /etc/group && ls /etc'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toMatch(/^group$/m);
    const diff = await tslab(['container', 'diff', 'tslabt-w1'], env);
    expect(diff.stdout.split('\n')).toEqual(expect.arrayContaining(['A /tslabt-f', 'D /etc/group', 'C /etc']));
    const second = await tslab(['container', 'run', '--rm', 'busybox', 'sh', '-c', 'cat /tslabt-f 2>/dev/null || echo absent; head -1 /etc/group'], env);
    expect(second.stdout).toBe('absent\nroot:x:0:\n');
    const exported = execFileSync(process.execPath, [join(__dirname, '../../bin/tslab'), 'container', 'export', 'tslabt-w1'], { env, maxBuffer: 64 << 20 });
    const names = execFileSync('tar', ['-t'], { input: exported, encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n');
    expect(names).toContain('./tslabt-f');
    expect(names).not.toContain('./etc/group');
    expect(mountsUnder(dir)).toEqual([]);
    expect((await tslab(['container', 'rm', 'tslabt-w1'], env)).code).toBe(0);
    expect(existsSync(join(dir, 'containers'))).toBe(true);
    expect((await tslab(['container', 'ps', '-aq'], env)).stdout).toBe('');
  });

  it('detached: logs, exec, pause/unpause, stop with exit status, rm', async () => {
    const { env, dir } = setup(runtime);
    const run = await tslab(['container', 'run', '-d', '--name', 'tslabt-bg', 'busybox', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^[a-f0-9]{64}$/);
    await waitFor('ticks in the log', async () => (await tslab(['container', 'logs', 'tslabt-bg'], env)).stdout.includes('tick 2'));
    // what stays resident: one small monitor whose child is the container's init itself
    const record = JSON.parse(readFileSync(join(dir, 'containers', run.stdout.trim(), 'container.json'), 'utf8')) as { state: { monitorPid: number; pid: number } };
    const monitor = record.state.monitorPid;
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${monitor}/status`, 'utf8'))![1]);
    expect(rssKb).toBeLessThan(20_000);
    const children = readFileSync(`/proc/${monitor}/task/${monitor}/children`, 'utf8').trim().split(/\s+/).map(Number);
    expect(children).toContain(record.state.pid);
    for (const child of children) expect(readFileSync(`/proc/${child}/comm`, 'utf8').trim()).not.toMatch(/node|runc/);
    const ex = await tslab(['container', 'exec', 'tslabt-bg', 'sh', '-c', 'echo in $(hostname); cat /proc/1/cmdline | tr "\\0" " "'], env);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/^in [a-f0-9]{12}\nsh -c i=0/);
    // exec'd with the container's privileges, not the host root's: the same capability sets and no_new_privs
    const privileges = (status: string): string => status.split('\n').filter((l) => /^(CapEff|CapBnd|CapPrm|NoNewPrivs):/.test(l)).join('\n');
    const inside = await tslab(['container', 'exec', 'tslabt-bg', 'cat', '/proc/self/status'], env);
    expect(inside.code, inside.stderr).toBe(0);
    expect(privileges(inside.stdout)).toBe(privileges(readFileSync(`/proc/${record.state.pid}/status`, 'utf8')));
    expect(privileges(inside.stdout)).not.toContain('000001ffffffffff');
    expect((await tslab(['container', 'pause', 'tslabt-bg'], env)).code).toBe(0);
    expect((await tslab(['container', 'ps'], env)).stdout).toMatch(/\(Paused\)\s+tslabt-bg/);
    const frozenAt = (await tslab(['container', 'logs', 'tslabt-bg'], env)).stdout.length;
    await new Promise((r) => setTimeout(r, 400));
    expect((await tslab(['container', 'logs', 'tslabt-bg'], env)).stdout.length).toBe(frozenAt);
    expect((await tslab(['container', 'unpause', 'tslabt-bg'], env)).code).toBe(0);
    const busy = await tslab(['container', 'rm', 'tslabt-bg'], env);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr.trim()).toBe('tslab: container tslabt-bg is running: stop it first (tslab container stop tslabt-bg) or use -f');
    const stop = await tslab(['container', 'stop', '-t', '1', 'tslabt-bg'], env);
    expect(stop.code, stop.stderr).toBe(0);
    const ps = await tslab(['container', 'ps', '-a'], env);
    expect(ps.stdout).toMatch(/Exited \(137\)/);
    const info = JSON.parse((await tslab(['container', 'inspect', 'tslabt-bg'], env)).stdout) as { State: { ExitCode: number; Status: string } }[];
    expect(info[0]!.State).toMatchObject({ Status: 'exited', ExitCode: 137 });
    const follow = await tslab(['container', 'logs', '-f', 'tslabt-bg'], env);
    expect(follow.stdout).toMatch(/tick 3/);
    await waitFor('the shim to unmount', async () => mountsUnder(dir).length === 0);
    expect((await tslab(['container', 'rm', 'tslabt-bg'], env)).code).toBe(0);
  });

  it('limits memory, CPU and processes through the container\'s cgroups; exec honours -u and -w', async () => {
    const { env } = setup(runtime);
    const run = await tslab(['container', 'run', '-d', '--name', 'tslabt-lim', '-m', '32m', '--cpus', '0.5', '--pids-limit', '20', 'busybox', 'sleep', '300'], env);
    expect(run.code, run.stderr).toBe(0);
    const info = JSON.parse((await tslab(['container', 'inspect', 'tslabt-lim'], env)).stdout) as { State: { Pid: number } }[];
    const pid = info[0]!.State.Pid;
    expect(pid).toBeGreaterThan(0);
    const cgroups = new Map(readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => {
      const [, ctl, path] = l.split(':');
      return [ctl!, path!] as const;
    }));
    const v1 = (ctl: string, file: string): string => readFileSync(`/sys/fs/cgroup/${ctl}${cgroups.get(ctl)}/${file}`, 'utf8').trim();
    if (cgroups.has('memory')) {
      expect(v1('memory', 'memory.limit_in_bytes')).toBe(String(32 * 1024 * 1024));
      expect(v1('pids', 'pids.max')).toBe('20');
      expect(v1('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    } else {
      const path = cgroups.get('')!;
      expect(readFileSync(`/sys/fs/cgroup${path}/memory.max`, 'utf8').trim()).toBe(String(32 * 1024 * 1024));
      expect(readFileSync(`/sys/fs/cgroup${path}/pids.max`, 'utf8').trim()).toBe('20');
    }
    const ex = await tslab(['container', 'exec', '-u', 'nobody', '-w', '/tmp', 'tslabt-lim', 'sh', '-c', 'id -u; pwd'], env);
    expect(ex.stdout, ex.stderr).toBe('65534\n/tmp\n');
    expect((await tslab(['container', 'rm', '-f', 'tslabt-lim'], env)).code).toBe(0);
  });

  it('keeps a detached container\'s log under logMaxSize', async () => {
    const { env, dir } = setup(runtime);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...(runtime ? { runtime } : {}), logMaxSize: '4k' }));
    const run = await tslab(['container', 'run', '-d', '--name', 'tslabt-log', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; sleep 30'], env);
    expect(run.code, run.stderr).toBe(0);
    await waitFor('the log to be trimmed', async () => existsSync(join(dir, 'containers', run.stdout.trim(), 'container.log.1')));
    const logs = await tslab(['container', 'logs', 'tslabt-log'], env);
    expect(logs.stdout.length).toBeLessThanOrEqual(4096 + 2048);
    expect(logs.stdout).toMatch(/line 1999\n$/);
    expect((await tslab(['container', 'rm', '-f', 'tslabt-log'], env)).code).toBe(0);
  });

  it('named volumes outlive their containers; flags reach the process', async () => {
    const { env } = setup(runtime);
    const envFile = join(tempDataRoot().dir, 'env');
    roots.push({ dir: join(envFile, '..'), cleanup: () => { execFileSync('rm', ['-rf', join(envFile, '..')]); } });
    writeFileSync(envFile, '# comment\nB=from-file\n');
    const w = await tslab(['container', 'run', '--rm', '-v', 'tslabt-vol:/data', '-e', 'A=from-flag', '--env-file', envFile, '-w', '/data',
      '-u', 'nobody', '--hostname', 'tslabt-host', '--read-only', 'busybox', 'sh', '-c',
      'echo $A $B; pwd; id -u; hostname; touch /x 2>/dev/null || echo ro; echo kept > /data/f 2>/dev/null || echo data-ro'], env);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toBe('from-flag from-file\n/data\n65534\ntslabt-host\nro\ndata-ro\n');
    const w2 = await tslab(['container', 'run', '--rm', '-v', 'tslabt-vol:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f'], env);
    expect(w2.code, w2.stderr).toBe(0);
    const r = await tslab(['container', 'run', '--rm', '-v', 'tslabt-vol:/data:ro', 'busybox', 'cat', '/data/f'], env);
    expect(r.stdout).toBe('kept\n');
    expect((await tslab(['volume', 'ls'], env)).stdout).toContain('tslabt-vol');
    const net = await tslab(['container', 'run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'tail -n +3 /proc/net/dev | cut -d: -f1'], env);
    expect(net.stdout.trim()).toBe('lo');
    const host = await tslab(['container', 'run', '--rm', '--network', 'host', 'busybox', 'sh', '-c', 'tail -n +3 /proc/net/dev | wc -l'], env);
    expect(Number(host.stdout.trim())).toBeGreaterThan(1);
  });
});

describe('container command errors', () => {
  it('bad input gets one clear line and a non-zero exit', async () => {
    const { env } = setup('/usr/sbin/runc');
    const cases: [string[], RegExp][] = [
      [['container', 'run', '--bogus', 'busybox'], /^tslab: unknown option "--bogus"/],
      [['container', 'run', 'Busybox'], /^tslab: invalid image reference "Busybox": repository names must be lowercase$/],
      [['container', 'run', '--network', 'tslabt-no-such-net', 'busybox', 'true'], /^tslab: --network tslabt-no-such-net: no such network/],
      [['container', 'run', '--network', 'none', '-p', '8080:80', 'busybox', 'true'], /^tslab: -p 8080:80: publishing ports needs a bridge network/],
      [['container', 'run', '-m', 'lots', 'busybox', 'true'], /^tslab: --memory "lots": give a size/],
      [['container', 'run', '-v', 'relative:dir', 'busybox', 'true'], /container path "dir" must be absolute/],
      [['container', 'logs', 'tslabt-nothing'], /^tslab: no such container: tslabt-nothing/],
      [['container', 'run', '--runtime', '/nonexistent/rt', 'busybox', 'true'], /runtime "\/nonexistent\/rt" not found/],
    ];
    for (const [args, message] of cases) {
      const r = await tslab(args, env);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n').filter((l) => !/built it from the host/.test(l)), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trim().split('\n').pop(), args.join(' ')).toMatch(message);
    }
    const failed = await tslab(['container', 'run', '-d', '--rm', 'busybox', 'tslabt-nonexistent'], env);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr.trim()).toMatch(/^tslab: container \S+ failed to start: .*tslabt-nonexistent/);
    expect((await tslab(['container', 'ps', '-aq'], env)).stdout).toBe('');
    expect((await tslab(['container', 'create', '--name', 'tslabt-dup', 'busybox'], env)).code).toBe(0);
    const dup = await tslab(['container', 'create', '--name', 'tslabt-dup', 'busybox'], env);
    expect(dup.stderr.trim()).toMatch(/^tslab: the name "tslabt-dup" is already used by container [a-f0-9]{12}/);
  });
});

describe('container run with tslab\'s runtime, in-process', () => {
  it('--trace records the runtime\'s lifecycle from this one process and the init; nothing stays behind', async () => {
    const { env, dir } = setup(undefined);
    const trace = join(dir, 'run-trace.jsonl');
    const r = await tslab(['--trace', trace, 'container', 'run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3'], env);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('err\n');
    const events = readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: string; stage: string; pid: number });
    const steps = (stage: string): string[] => events.filter((e) => e.stage === stage).map((e) => e.step);
    // create, start and delete ran in the CLI's process: no runtime process of their own
    for (const step of ['state.creating', 'spawn.init', 'state.created', 'state.running', 'state.deleted']) expect(steps('cli')).toContain(step);
    expect(new Set(events.filter((e) => e.stage === 'cli').map((e) => e.pid)).size).toBe(1);
    for (const step of ['pivot_root', 'execve']) expect(steps('init')).toContain(step);
    expect((await tslab(['container', 'ps', '-aq'], env)).stdout).toBe('');
    expect(mountsUnder(dir)).toEqual([]);
    const missing = await tslab(['container', 'run', '--rm', '--network', 'none', 'busybox', 'tslabt-no-such-program'], env);
    expect(missing.code).toBe(255);
    expect(missing.stderr).toMatch(/^tslab: container "[0-9a-f]+" failed to start: exec: "tslabt-no-such-program": executable file not found/m);
    expect(existsSync(join(dir, 'runtime', 'tslab-runtime')) ? execFileSync('ls', [join(dir, 'runtime', 'tslab-runtime')], { encoding: 'utf8' }) : '').toBe('');
  });
});
