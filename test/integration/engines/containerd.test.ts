// containerd driving tslab-runtime, and runc as the oracle, through its runc v2 shim with the
// runtime binary given as the shim's BinaryName option: `ctr run --runc-binary` sets it per
// container, as a runtime entry in containerd's config (a Kubernetes RuntimeClass handler) sets it
// per handler. containerd of our own: private root, state, sockets, runc root, no CRI, no network.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { run } from '../../helpers/runtimes.js';
import { enginePrefix, missing, runtimesUnderTest, IMAGE } from './harness.js';
import { removeContainer, useContainerd, type Containerd } from './containerd.js';
import { scenario, type EngineDriver, type Status } from './scenario.js';

const absent = missing({ containerd: 'containerd', ctr: 'containerd', 'containerd-shim-runc-v2': 'containerd', script: 'util-linux', tmux: 'tmux' });
const prefix = enginePrefix('ctrd');
let dir = '';

function ctrDriver(c: Containerd, runtime: string): EngineDriver {
  const runcRoot = join(dir, 'runc-root');
  const create = (opts?: { memory?: number }): string[] => ['--snapshotter', 'native', '--runc-binary', runtime, '--runc-root', runcRoot,
    '--cgroup', `/${prefix}/${'$NAME'}`, ...(opts?.memory ? ['--memory-limit', String(opts.memory)] : [])];
  const runArgs = (name: string, opts?: { memory?: number }): string[] => create(opts).map((a) => a.replace('$NAME', name));
  const task = async (name: string): Promise<{ pid: number; status: string } | undefined> => {
    const line = (await c.ctr('task', 'ls')).stdout.split('\n').find((l) => l.split(/\s+/)[0] === name);
    if (!line) return undefined;
    const [, pid, status] = line.trim().split(/\s+/);
    return { pid: Number(pid), status: status!.toLowerCase() };
  };
  let execs = 0;
  return {
    run: (name, cmd, opts) => c.ctr('run', '--rm', ...runArgs(name, opts), IMAGE, name, ...cmd),
    runDetached: async (name, cmd, opts) => {
      const r = await c.ctr('run', '-d', '--null-io', ...runArgs(name, opts), IMAGE, name, ...cmd);
      if (r.code !== 0) throw new Error(`ctr run -d: ${r.stderr}`);
    },
    // ctr takes the terminal from its own stdin: util-linux script gives it one
    exec: (name, cmd, tty) => (tty
      ? run('script', ['-qec', c.ctrArgv('task', 'exec', '-t', '--exec-id', `e${++execs}`, name, ...cmd).map((w) => `'${w}'`).join(' '), '/dev/null'], { timeoutMs: 60_000 })
      : c.ctr('task', 'exec', '--exec-id', `e${++execs}`, name, ...cmd)),
    pid: async (name) => (await task(name))?.pid ?? 0,
    status: async (name) => {
      const t = await task(name);
      return (!t || t.status === 'stopped' ? 'stopped' : t.status) as Status;
    },
    pause: (name) => c.ctr('task', 'pause', name),
    unpause: (name) => c.ctr('task', 'resume', name),
    // sleep as the pid namespace's init ignores SIGTERM: as docker stop does, SIGKILL after it
    stop: async (name) => {
      await c.ctr('task', 'kill', '-s', 'SIGTERM', name);
      return c.ctr('task', 'kill', '-s', 'SIGKILL', name);
    },
    kill: (name) => c.ctr('task', 'kill', '-s', 'SIGKILL', name),
    top: (name) => c.ctr('task', 'ps', name),
    noUpdate: 'ctr 1.6 has no task update (containerd\'s task update is exercised through docker update)',
    interactive: (name) => c.ctrArgv('run', '--rm', '-t', ...runArgs(name), IMAGE, name, 'sh'),
    rm: (name) => removeContainer(c, name),
    runtimeId: async (name) => name,
    stateRoots: () => [dir],
  };
}

describe.skipIf(absent !== undefined)(`containerd ${absent ? `(skipped: ${absent})` : ''}`, { timeout: 180_000 }, () => {
  const ours = useContainerd(prefix);
  beforeAll(() => {
    dir = ours.dir();
  });

  // the handler docs/kubernetes.md shows is the one containerd reads (its CRI plugin is not run here)
  it('reads the tslab runtime handler of docs/kubernetes.md', async () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/kubernetes.md', import.meta.url)), 'utf8');
    const handler = /```toml\n([\s\S]*?)```/.exec(doc)![1]!;
    const config = join(dir, 'handler.toml');
    writeFileSync(config, `version = 2\nroot = "${join(dir, 'handler-root')}"\nstate = "${join(dir, 'handler-state')}"\n${handler}`);
    const dump = await run('containerd', ['--config', config, 'config', 'dump']);
    expect(dump.code, dump.stderr).toBe(0);
    expect(dump.stdout).toMatch(/\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.tslab\][\s\S]*?runtime_type = "io\.containerd\.runc\.v2"/);
    expect(dump.stdout).toMatch(/\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.tslab\.options\][\s\S]*?BinaryName = "\/usr\/local\/bin\/tslab-runtime"/);
  });

  for (const rt of runtimesUnderTest()) {
    let counter = 0;
    describe(`ctr run --runc-binary ${rt.name}`, () => {
      scenario(() => ctrDriver(ours.containerd(), rt.path), (label) => `${prefix}-${rt.name === 'runc' ? 'runc' : 'tslab'}-${label}-${++counter}`);
    });
  }
});
