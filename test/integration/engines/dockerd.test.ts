// dockerd (--add-runtime) driving tslab-runtime, and runc as the oracle: a dockerd of our own on
// a private data root, exec root, socket and pid file, with its own containerd; no iptables, no
// bridge, vfs storage, cgroupfs under a cgroup parent of our own. `docker update` goes through
// containerd's task update to the runtime's `update --resources -`.
import { afterAll, beforeAll, describe } from 'vitest';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, TSLAB_RUNTIME } from '../../helpers/runtimes.js';
import { buildImageArchive, enginePrefix, missing, privateDir, removeCgroupParent, runtimesUnderTest, startDaemon, IMAGE, type Daemon } from './harness.js';
import { scenario, type EngineDriver, type Status } from './scenario.js';

const absent = missing({ dockerd: 'docker.io', docker: 'docker.io', containerd: 'containerd', tmux: 'tmux' });
const prefix = enginePrefix('docker');
let dir = '';
let daemon: Daemon | undefined;

const socket = (): string => join(dir, 'docker.sock');
const docker = (...args: string[]) => run('docker', ['-H', `unix://${socket()}`, ...args], { env: { ...process.env, DOCKER_CONFIG: join(dir, 'cli') }, timeoutMs: 90_000 });

function dockerDriver(runtime: 'tslab' | 'runc'): EngineDriver {
  const create = (name: string, opts?: { memory?: number }): string[] => ['--name', name, '--runtime', runtime, '--network', 'none',
    ...(opts?.memory ? ['--memory', String(opts.memory), '--memory-swap', String(opts.memory)] : [])];
  const inspect = async (name: string, format: string): Promise<string> => (await docker('inspect', '--format', format, name)).stdout.trim();
  return {
    run: (name, cmd, opts) => docker('run', '--rm', ...create(name, opts), IMAGE, ...cmd),
    runDetached: async (name, cmd, opts) => {
      const r = await docker('run', '-d', ...create(name, opts), IMAGE, ...cmd);
      if (r.code !== 0) throw new Error(`docker run -d: ${r.stderr}`);
    },
    exec: (name, cmd, tty) => docker('exec', ...(tty ? ['-t'] : []), name, ...cmd),
    pid: async (name) => Number(await inspect(name, '{{.State.Pid}}')),
    status: async (name) => {
      const s = await inspect(name, '{{.State.Status}}');
      return (s === 'exited' || s === 'dead' ? 'stopped' : s) as Status;
    },
    pause: (name) => docker('pause', name),
    unpause: (name) => docker('unpause', name),
    stop: (name) => docker('stop', '-t', '1', name),
    kill: (name) => docker('kill', name),
    top: (name) => docker('top', name),
    updateMemory: (name, bytes) => docker('update', '--memory', String(bytes), '--memory-swap', String(bytes), name),
    interactive: (name) => ['env', `DOCKER_CONFIG=${join(dir, 'cli')}`, 'docker', '-H', `unix://${socket()}`, 'run', '--rm', '-it', ...create(name), IMAGE, 'sh'],
    rm: async (name) => { await docker('rm', '-f', name); },
    runtimeId: (name) => inspect(name, '{{.Id}}'),
    stateRoots: () => [dir],
  };
}

describe.skipIf(absent !== undefined)(`dockerd ${absent ? `(skipped: ${absent})` : ''}`, { timeout: 180_000 }, () => {
  beforeAll(async () => {
    dir = privateDir(prefix);
    const config = join(dir, 'daemon.json');
    // its own config file: nothing from /etc/docker/daemon.json
    writeFileSync(config, JSON.stringify({ runtimes: { tslab: { path: TSLAB_RUNTIME } } }));
    daemon = await startDaemon('dockerd', [
      '--config-file', config, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', `unix://${socket()}`,
      '--pidfile', join(dir, 'dockerd.pid'), '--iptables=false', '--ip-forward=false', '--ip-masq=false', '--bridge=none',
      '--userland-proxy=false', '--storage-driver', 'vfs', '--exec-opt', 'native.cgroupdriver=cgroupfs', '--cgroup-parent', `/${prefix}`,
      '--containerd-namespace', prefix, '--containerd-plugins-namespace', `${prefix}-plugins`,
    ], async () => existsSync(socket()) && (await docker('version')).code === 0, 'dockerd');
    const archive = await buildImageArchive(dir);
    const load = await docker('load', '-i', archive);
    if (load.code !== 0) throw new Error(`docker load: ${load.stderr}`);
  }, 120_000);

  afterAll(async () => {
    await daemon?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    removeCgroupParent(prefix);
  });

  for (const rt of runtimesUnderTest()) {
    let counter = 0;
    describe(rt.name, () => {
      const name = rt.name === 'runc' ? 'runc' : 'tslab';
      scenario(() => dockerDriver(name), (label) => `${prefix}-${name}-${label}-${++counter}`);
    });
  }
});
