// podman (--runtime) driving tslab-runtime, and runc as the oracle: private storage, run root,
// containers.conf, cgroupfs under a cgroup parent of our own, events in a file, no network.
import { afterAll, beforeAll, describe } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../helpers/runtimes.js';
import { buildImageArchive, enginePrefix, removeCgroupParent, ensureDir, missing, privateDir, runtimesUnderTest, IMAGE } from './harness.js';
import { scenario, type EngineDriver, type Status } from './scenario.js';

const absent = missing({ podman: 'podman', conmon: 'conmon', tmux: 'tmux' });
const prefix = enginePrefix('podman');
let dir = '';

function podmanDriver(runtime: string, dir: string): EngineDriver {
  const env = {
    ...process.env,
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
  };
  const base = ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'), '--runtime', runtime,
    '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--storage-driver', 'vfs'];
  const podman = (...args: string[]) => run('podman', [...base, ...args], { env, timeoutMs: 90_000 });
  const create = (name: string, opts?: { memory?: number }): string[] => ['--name', name, '--network', 'none', '--cgroup-parent', `/${prefix}`,
    ...(opts?.memory ? ['--memory', String(opts.memory), '--memory-swap', String(opts.memory)] : [])];
  const inspect = async (name: string, format: string): Promise<string> => (await podman('inspect', '--format', format, name)).stdout.trim();
  return {
    run: (name, cmd, opts) => podman('run', '--rm', ...create(name, opts), IMAGE, ...cmd),
    runDetached: async (name, cmd, opts) => {
      const r = await podman('run', '-d', ...create(name, opts), IMAGE, ...cmd);
      if (r.code !== 0) throw new Error(`podman run -d: ${r.stderr}`);
    },
    exec: (name, cmd, tty) => podman('exec', ...(tty ? ['-t'] : []), name, ...cmd),
    pid: async (name) => Number(await inspect(name, '{{.State.Pid}}')),
    status: async (name) => {
      const s = await inspect(name, '{{.State.Status}}');
      return (s === 'exited' || s === 'stopped' ? 'stopped' : s) as Status;
    },
    pause: (name) => podman('pause', name),
    unpause: (name) => podman('unpause', name),
    stop: (name) => podman('stop', '-t', '1', name),
    kill: (name) => podman('kill', name),
    top: (name) => podman('top', name),
    updateMemory: (name, bytes) => podman('update', '--memory', String(bytes), '--memory-swap', String(bytes), name),
    interactive: (name) => ['env', ...Object.entries(env).filter(([k]) => k.startsWith('CONTAINERS_')).map(([k, v]) => `${k}=${v}`),
      'podman', ...base, 'run', '--rm', '-it', ...create(name), IMAGE, 'sh'],
    rm: async (name) => { await podman('rm', '-f', '-t', '0', name); },
    runtimeId: (name) => inspect(name, '{{.Id}}'),
    stateRoots: () => [dir, '/run/runc', '/run/tslab'],
  };
}

describe.skipIf(absent !== undefined)(`podman ${absent ? `(skipped: ${absent})` : ''}`, { timeout: 180_000 }, () => {
  beforeAll(async () => {
    dir = privateDir(prefix);
    const limits = ['nofile=1024:1024', 'nproc=1024:1024'];
    writeFileSync(join(dir, 'containers.conf'), [
      // below any hard limit the engine inherits: raising one needs CAP_SYS_RESOURCE, which a sandbox may lack
      '[containers]', `default_ulimits = ${JSON.stringify(limits)}`,
      '[engine]', 'events_logger = "file"', `events_logfile_path = "${join(dir, 'events.log')}"`, 'cgroup_manager = "cgroupfs"',
      `tmp_dir = "${join(dir, 'tmp')}"`, '[network]', `network_config_dir = "${ensureDir(join(dir, 'net'))}"`, '',
    ].join('\n'));
    writeFileSync(join(dir, 'storage.conf'), `[storage]\ndriver = "vfs"\nrunroot = "${join(dir, 'run')}"\ngraphroot = "${join(dir, 'storage')}"\n`);
    writeFileSync(join(dir, 'registries.conf'), '');
    const archive = await buildImageArchive(dir);
    const load = await run('podman', ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs', '--tmpdir', join(dir, 'tmp'), 'load', '-i', archive],
      { env: { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf'), CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'), CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf') }, timeoutMs: 90_000 });
    if (load.code !== 0) throw new Error(`podman load: ${load.stderr}`);
  }, 120_000);

  afterAll(async () => {
    if (!dir) return;
    rmSync(dir, { recursive: true, force: true });
    removeCgroupParent(prefix);
  });

  for (const rt of runtimesUnderTest()) {
    let counter = 0;
    describe(rt.name, () => {
      scenario(() => podmanDriver(rt.path, dir), (label) => `${prefix}-${rt.name === 'runc' ? 'runc' : 'tslab'}-${label}-${++counter}`);
    });
  }
});
