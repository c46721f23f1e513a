// `exec` into a running container, ours and runc's side by side (runc is the oracle): the process
// lands in the container's namespaces and cgroups with the container's capabilities and
// no_new_privs, --cap adds one, exit codes come back, and bad input fails with one line.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';

const isRoot = process.getuid?.() === 0;
const runc = runcPath();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

interface Started {
  rt: string;
  root: string;
  id: string;
  pid: number;
  exec(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
}

async function startSleeper(rt: string, name: string, userNamespace = false): Promise<Started> {
  const id = uniqueId(`exec-${name}`);
  const root = mkdtempSync(join(tmpdir(), 'tslabt-exec-state-'));
  const bundle = makeBundle(['sleep', '300'], (spec) => {
    spec.hostname = 'tslabt-exec';
    if (userNamespace) {
      spec.linux!.namespaces!.push({ type: 'user' });
      spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    }
  }, id);
  cleanups.push(() => {
    rmSync(root, { recursive: true, force: true });
    bundle.cleanup();
  });
  cleanups.push(async () => {
    await run(rt, ['--root', root, 'delete', '--force', id]);
  });
  const r = await run(rt, ['--root', root, 'run', '--detach', '--bundle', bundle.dir, id]);
  expect(r.code, r.stderr).toBe(0);
  const pid = await waitFor('the state to show a pid', async () => {
    const s = await run(rt, ['--root', root, 'state', id]);
    const state = JSON.parse(s.stdout || '{}') as { pid?: number; status?: string };
    return state.status === 'running' && state.pid ? state.pid : undefined;
  });
  return { rt, root, id, pid, exec: (args, input) => run(rt, ['--root', root, 'exec', ...args], { input }) };
}

const field = (status: string, name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';

describe.skipIf(!isRoot || !runc)('exec into a running container (ours and runc; needs root and runc)', { timeout: 60_000 }, () => {
  it.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s: the process joins every namespace and cgroup, with the init\'s capabilities and no_new_privs', async (name, rt) => {
    const c = await startSleeper(rt, name === 'ours' ? 'o' : 'r');
    const r = await c.exec([c.id, 'sh', '-c', 'echo pid=$$; hostname; cat /proc/1/cmdline | tr "\\0" " "; echo; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status; cat /proc/self/cgroup']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pid=\d+$/m);
    expect(r.stdout).not.toMatch(/^pid=1$/m);
    expect(r.stdout).toContain('tslabt-exec\n');
    expect(r.stdout).toContain('sleep 300');
    const init = readFileSync(`/proc/${c.pid}/status`, 'utf8');
    expect(field(r.stdout, 'CapEff')).toBe(field(init, 'CapEff'));
    expect(field(r.stdout, 'CapBnd')).toBe(field(init, 'CapBnd'));
    expect(field(r.stdout, 'NoNewPrivs')).toBe(field(init, 'NoNewPrivs'));
    // inside its cgroup namespace the container's cgroup is the root, for the init and for us alike
    expect(r.stdout.split('\n').filter((l) => /^\d+:/.test(l)).every((l) => l.endsWith(':/'))).toBe(true);
    // namespaces, from the host's side: the exec'd process would be gone by now, so compare a live one
    const live = await c.exec(['--detach', '--pid-file', join(c.root, 'exec.pid'), c.id, 'sleep', '30']);
    expect(live.code, live.stderr).toBe(0);
    const execPid = Number(readFileSync(join(c.root, 'exec.pid'), 'utf8'));
    expect(readFileSync(`/proc/${execPid}/cgroup`, 'utf8')).toBe(readFileSync(`/proc/${c.pid}/cgroup`, 'utf8'));
    for (const ns of ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup']) {
      expect(readlinkSync(`/proc/${execPid}/ns/${ns}`), ns).toBe(readlinkSync(`/proc/${c.pid}/ns/${ns}`));
    }
    process.kill(execPid, 'SIGKILL');
  });

  it.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s: --cap adds a capability; exit codes and signals come back', async (name, rt) => {
    const c = await startSleeper(rt, name === 'ours' ? 'oc' : 'rc');
    const added = await c.exec(['--cap', 'CAP_SYS_ADMIN', c.id, 'grep', 'CapEff', '/proc/self/status']);
    expect(added.code, added.stderr).toBe(0);
    const eff = BigInt(`0x${field(added.stdout, 'CapEff')}`);
    expect((eff >> 21n) & 1n).toBe(1n);
    expect((await c.exec([c.id, 'sh', '-c', 'exit 42'])).code).toBe(42);
    expect((await c.exec([c.id, 'sh', '-c', 'kill -TERM $$'])).code).toBe(143);
    const env = await c.exec(['-e', 'TSLABT_X=seen', '--cwd', '/proc', c.id, 'sh', '-c', 'echo $TSLABT_X $(pwd)']);
    expect(env.stdout).toBe('seen /proc\n');
  });

  it.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s: into a user namespace: root inside, the init\'s namespaces, cgroups and capabilities', async (name, rt) => {
    const c = await startSleeper(rt, name === 'ours' ? 'ou' : 'ru', true);
    const r = await c.exec([c.id, 'sh', '-c', 'id -u; cat /proc/self/uid_map; grep -E "^CapEff" /proc/self/status']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('0');
    expect(lines[1]!.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    expect(field(r.stdout, 'CapEff')).toBe(field(readFileSync(`/proc/${c.pid}/status`, 'utf8'), 'CapEff'));
    const live = await c.exec(['--detach', '--pid-file', join(c.root, 'exec.pid'), c.id, 'sleep', '30']);
    expect(live.code, live.stderr).toBe(0);
    const execPid = Number(readFileSync(join(c.root, 'exec.pid'), 'utf8'));
    // no process between the runtime and the program: it is the host's uid 100000, in every namespace
    expect(field(readFileSync(`/proc/${execPid}/status`, 'utf8'), 'Uid').split(/\s+/)[0]).toBe('100000');
    expect(readFileSync(`/proc/${execPid}/cgroup`, 'utf8')).toBe(readFileSync(`/proc/${c.pid}/cgroup`, 'utf8'));
    for (const ns of ['user', 'pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup']) {
      expect(readlinkSync(`/proc/${execPid}/ns/${ns}`), ns).toBe(readlinkSync(`/proc/${c.pid}/ns/${ns}`));
    }
    process.kill(execPid, 'SIGKILL');
  });

  it('ours: a process.json, a missing program, a stopped or unknown container', async () => {
    const c = await startSleeper(TSLAB_RUNTIME, 'bad');
    const processFile = join(c.root, 'process.json');
    writeFileSync(processFile, JSON.stringify({ args: ['sh', '-c', 'id -u; echo $A'], env: ['A=from-process-json', 'PATH=/bin'], cwd: '/', user: { uid: 1000, gid: 1000 } }));
    const p = await c.exec(['--process', processFile, c.id]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toBe('1000\nfrom-process-json\n');
    const missing = await c.exec([c.id, 'no-such-program']);
    expect(missing.code).toBe(127);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('"no-such-program": executable file not found');
    const unknown = await c.exec(['tslabt-no-such-container', 'true']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('does not exist');
    process.kill(c.pid, 'SIGKILL');
    await waitFor('the init to die', () => {
      try {
        return readFileSync(`/proc/${c.pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ? true : undefined;
      } catch {
        return true; // gone and reaped
      }
    });
    const stopped = await c.exec([c.id, 'true']);
    expect(stopped.code).not.toBe(0);
    expect(stopped.stderr).toMatch(/cannot exec in container ".*": it is stopped, not running/);
  });
});
