// commit, cp, restart, top, stats, update, wait, rename, attach and exec -d against the real
// kernel, on tslab's runtime and on runc (update: runc; tslab-runtime's once it has `update`).
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TSLAB, tslab } from '../integration/image/registry.js';
import { containerWorld, poll } from './container-helpers.js';

const RUNTIMES: [string, string | undefined][] = [['tslab-runtime', undefined], ['runc', '/usr/sbin/runc']];
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(runtime: string | undefined): NodeJS.ProcessEnv {
  const w = containerWorld(runtime ? { runtime } : {});
  cleanups.push(() => w.cleanup());
  return w.env;
}

function hostDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tslabt-cp-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const LOOP = ['sh', '-c', 'echo started; trap "echo got-int; exit 5" INT; while true; do sleep 0.2; done'];

async function detached(env: NodeJS.ProcessEnv, name: string, cmd = LOOP): Promise<void> {
  const r = await tslab(['container', 'run', '-d', '--name', name, '--network', 'none', 'busybox', ...cmd], env);
  expect(r.code, r.stderr).toBe(0);
}

describe.each(RUNTIMES)('container commands on %s', (_label, runtime) => {
  it('commit keeps the changes as a layer and applies --change; the new image runs them', async () => {
    const env = setup(runtime);
    const r = await tslab(['container', 'run', '--name', 'tslabt-c1', '--network', 'none', 'busybox', 'sh', '-c', 'echo committed > /made && rm /etc/group'], env);
    expect(r.code, r.stderr).toBe(0);
    const c = await tslab(['container', 'commit', '-c', 'CMD ["sh", "-c", "cat /made; test -e /etc/group || echo no-group; echo $MODE"]', '-c', 'ENV MODE=changed', 'tslabt-c1', 'tslabt-committed:v1'], env);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/^sha256:[a-f0-9]{64}\n$/);
    const run = await tslab(['container', 'run', '--rm', '--network', 'none', 'tslabt-committed:v1'], env);
    expect(run.stdout).toBe('committed\nno-group\nchanged\n');
    const bad = await tslab(['container', 'commit', '-c', 'RUN true', 'tslabt-c1', 'tslabt-committed:v2'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^tslab: --change "RUN true": give one of CMD|^tslab: --change "RUN true": give one of/);
  });

  it('cp copies both ways and as a tar, and never leaves the container\'s root through a symlink', async () => {
    const env = setup(runtime);
    await detached(env, 'tslabt-cp1');
    const dir = hostDir();
    writeFileSync(join(dir, 'in.txt'), 'from the host\n');
    expect((await tslab(['container', 'cp', join(dir, 'in.txt'), 'tslabt-cp1:/tmp/'], env)).code).toBe(0);
    expect((await tslab(['container', 'exec', 'tslabt-cp1', 'cat', '/tmp/in.txt'], env)).stdout).toBe('from the host\n');
    expect((await tslab(['container', 'exec', 'tslabt-cp1', 'sh', '-c', 'mkdir /d && echo inner > /d/f && ln -s / /up && ln -s /etc /d/etc-link'], env)).code).toBe(0);
    expect((await tslab(['container', 'cp', 'tslabt-cp1:/d', join(dir, 'out')], env)).code).toBe(0);
    expect(readFileSync(join(dir, 'out/f'), 'utf8')).toBe('inner\n');
    // /up -> / inside the container: /up/etc/passwd is the container's, not the host's
    expect((await tslab(['container', 'cp', 'tslabt-cp1:/up/etc/passwd', join(dir, 'passwd')], env)).code).toBe(0);
    expect(readFileSync(join(dir, 'passwd'), 'utf8')).toBe((await tslab(['container', 'exec', 'tslabt-cp1', 'cat', '/etc/passwd'], env)).stdout);
    expect(readFileSync(join(dir, 'passwd'), 'utf8')).not.toBe(readFileSync('/etc/passwd', 'utf8'));
    // writing through a symlink that points at / lands in the container's root
    expect((await tslab(['container', 'cp', join(dir, 'in.txt'), 'tslabt-cp1:/up/tmp/via-link.txt'], env)).code).toBe(0);
    expect((await tslab(['container', 'exec', 'tslabt-cp1', 'cat', '/tmp/via-link.txt'], env)).stdout).toBe('from the host\n');
    const tar = spawnSync(process.execPath, [TSLAB, 'container', 'cp', 'tslabt-cp1:/d', '-'], { env });
    expect(tar.status, tar.stderr.toString()).toBe(0);
    expect(spawnSync('tar', ['-t'], { input: tar.stdout }).stdout.toString().split('\n').sort().filter(Boolean)).toEqual(['d/', 'd/etc-link', 'd/f']);
    const back = spawnSync(process.execPath, [TSLAB, 'container', 'cp', '-', 'tslabt-cp1:/tmp'], { env, input: tar.stdout });
    expect(back.status, back.stderr.toString()).toBe(0);
    expect((await tslab(['container', 'exec', 'tslabt-cp1', 'cat', '/tmp/d/f'], env)).stdout).toBe('inner\n');
    const missing = await tslab(['container', 'cp', 'tslabt-cp1:/nope', dir], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('tslab: no such file or folder in container tslabt-cp1: /nope\n');
  });

  it('top lists its processes, stats reads its cgroup, exec -d runs in the background', async () => {
    const env = setup(runtime);
    await detached(env, 'tslabt-t1');
    const ex = await tslab(['container', 'exec', '-d', 'tslabt-t1', 'sh', '-c', 'echo bg > /tmp/bg; exec sleep 30'], env);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toBe('');
    let last = '';
    const top = await poll('sleep 30 in top', async () => {
      const t = await tslab(['container', 'top', 'tslabt-t1'], env);
      last = t.stdout + t.stderr;
      return /sleep 30/.test(t.stdout) ? t.stdout : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}; top said: ${last}`);
    });
    expect(top.split('\n')[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/);
    expect(top).toMatch(/^0\s+\d+\s+\d+\s+0\s+\S+\s+\?\s+\d\d:\d\d:\d\d\s+sh -c echo started/m);
    expect((await tslab(['container', 'exec', 'tslabt-t1', 'cat', '/tmp/bg'], env)).stdout).toBe('bg\n');
    const stats = await tslab(['container', 'stats', '--no-stream', 'tslabt-t1'], env);
    expect(stats.code, stats.stderr).toBe(0);
    const row = stats.stdout.split('\n')[1]!.split(/\s{2,}/);
    expect(row[1]).toBe('tslabt-t1');
    expect(row[2]).toMatch(/^\d+\.\d\d%$/);
    expect(row[3]).toMatch(/^[\d.]+ (B|kB|MB) \/ [\d.]+ (MB|GB)$/);
    expect(Number(row[row.length - 1])).toBeGreaterThanOrEqual(3); // sh, sleep 30, the loop's sleep
  });

  it('restart, rename, wait and attach', async () => {
    const env = setup(runtime);
    await detached(env, 'tslabt-r1');
    const pid1 = JSON.parse((await tslab(['container', 'inspect', 'tslabt-r1'], env)).stdout)[0].State.Pid as number;
    expect((await tslab(['container', 'restart', '-t', '1', 'tslabt-r1'], env)).code).toBe(0);
    const pid2 = JSON.parse((await tslab(['container', 'inspect', 'tslabt-r1'], env)).stdout)[0].State.Pid as number;
    expect(pid2).not.toBe(pid1);
    expect((await tslab(['container', 'ps'], env)).stdout).toMatch(/Up .*tslabt-r1/);
    expect((await tslab(['container', 'rename', 'tslabt-r1', 'tslabt-r2'], env)).code).toBe(0);
    expect((await tslab(['container', 'ps'], env)).stdout).toMatch(/tslabt-r2/);
    const taken = await tslab(['container', 'rename', 'tslabt-r2', 'bad name'], env);
    expect(taken.stderr).toMatch(/^tslab: invalid container name "bad name"/);
    // attach follows the output from now on and forwards ^C; the container's trap answers
    const attach = spawn(process.execPath, [TSLAB, 'container', 'attach', 'tslabt-r2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    attach.stdout.on('data', (c: Buffer) => (seen += c.toString()));
    const waiter = tslab(['container', 'wait', 'tslabt-r2'], env);
    // attach follows once a line written to the container's output now reaches it
    await poll('attach to follow the output', async () => {
      await tslab(['container', 'exec', 'tslabt-r2', 'sh', '-c', 'echo marker >> /proc/1/fd/1'], env);
      return seen.includes('marker') ? true : undefined;
    }, 20_000);
    attach.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => attach.on('close', resolve));
    expect(seen).toMatch(/got-int/);
    expect(code).toBe(5);
    expect((await waiter).stdout).toBe('5\n');
  });
});


/** The runtime implements `update --resources` (its help names the option). */
function runtimeHasUpdate(path: string): boolean {
  const r = spawnSync(path, ['update', '--help'], { encoding: 'utf8' });
  return r.status === 0 && /--resources/.test(r.stdout);
}

const TSLAB_RUNTIME = join(TSLAB, '..', 'tslab-runtime');
describe.each([
  ['runc', '/usr/sbin/runc', true],
  ['tslab-runtime', undefined, runtimeHasUpdate(TSLAB_RUNTIME)],
] as const)('container update on %s', (label, runtime, supported) => {
  it.skipIf(!supported)(`changes memory, cpus and pids of a running container${supported ? '' : ` (skipped: ${label} update --help fails: the runtime has no update yet)`}`, async () => {
    const env = setup(runtime);
    await detached(env, 'tslabt-u1');
    const u = await tslab(['container', 'update', '--memory', '64m', '--cpus', '0.5', '--pids-limit', '40', 'tslabt-u1'], env);
    expect(u.code, u.stderr).toBe(0);
    const cg = readFileSync(`/proc/${JSON.parse((await tslab(['container', 'inspect', 'tslabt-u1'], env)).stdout)[0].State.Pid}/cgroup`, 'utf8');
    const v2 = cg.split('\n').find((l) => l.startsWith('0::'));
    const pidsPath = cg.split('\n').find((l) => l.split(':')[1] === 'pids')?.split(':')[2];
    const memPath = cg.split('\n').find((l) => l.split(':')[1] === 'memory')?.split(':')[2];
    if (pidsPath && memPath) {
      expect(readFileSync(`/sys/fs/cgroup/memory${memPath}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(64 * 1024 * 1024));
      expect(readFileSync(`/sys/fs/cgroup/pids${pidsPath}/pids.max`, 'utf8').trim()).toBe('40');
    } else {
      const dir = `/sys/fs/cgroup${v2!.slice(3)}`;
      expect(readFileSync(`${dir}/memory.max`, 'utf8').trim()).toBe(String(64 * 1024 * 1024));
      expect(readFileSync(`${dir}/pids.max`, 'utf8').trim()).toBe('40');
    }
    const inspect = JSON.parse((await tslab(['container', 'inspect', 'tslabt-u1'], env)).stdout)[0].HostConfig;
    expect(inspect).toMatchObject({ Memory: 64 * 1024 * 1024, NanoCpus: 500_000_000, PidsLimit: 40 });
    const bad = await tslab(['container', 'update', '--memory', 'lots', 'tslabt-u1'], env);
    expect(bad.stderr).toBe('tslab: --memory "lots": give a size of at least 6m, e.g. 64m or 1g\n');
  });
});
