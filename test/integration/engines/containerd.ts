// A containerd of our own for the tests: private root, state, gRPC and ttrpc sockets, no CRI plugin
// (nothing here speaks CRI; see docs/kubernetes.md), its own namespace; and ctr talking to it.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { run, type Result } from '../../helpers/runtimes.js';
import { buildImageArchive, privateDir, removeCgroupParent, startDaemon, type Daemon } from './harness.js';

export interface Containerd {
  daemon: Daemon;
  namespace: string;
  ctr(...args: string[]): Promise<Result>;
  /** ctr's command line, for a terminal (tmux, script) */
  ctrArgv(...args: string[]): string[];
}

export async function startContainerd(dir: string, namespace: string): Promise<Containerd> {
  const socket = join(dir, 'containerd.sock');
  const config = join(dir, 'containerd.toml');
  writeFileSync(config, [
    'version = 2', `root = "${join(dir, 'root')}"`, `state = "${join(dir, 'state')}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]', `  address = "${socket}"`, '[ttrpc]', `  address = "${socket}.ttrpc"`, '[debug]', '  address = ""', '[metrics]', '  address = ""', '',
  ].join('\n'));
  const ctrArgv = (...args: string[]): string[] => ['ctr', '-a', socket, '-n', namespace, ...args];
  const ctr = (...args: string[]) => run('ctr', ctrArgv(...args).slice(1), { timeoutMs: 90_000 });
  const daemon = await startDaemon('containerd', ['--config', config], async () => existsSync(socket) && (await ctr('version')).code === 0, 'containerd');
  return { daemon, namespace, ctr, ctrArgv };
}

/** Imports the test image, unpacked for the native snapshotter (no overlay needed). */
export async function importImage(c: Containerd, archive: string): Promise<void> {
  const r = await c.ctr('images', 'import', '--snapshotter', 'native', archive);
  if (r.code !== 0) throw new Error(`ctr images import: ${r.stderr}`);
}

/** Kills, deletes the task and the container (and its snapshot); quiet when parts are gone. */
export async function removeContainer(c: Containerd, name: string): Promise<void> {
  await c.ctr('task', 'kill', '-s', 'SIGKILL', name);
  for (let i = 0; i < 100; i++) {
    const r = await c.ctr('task', 'delete', name);
    if (r.code === 0 || /not found/.test(r.stderr)) break;
    await new Promise((res) => setTimeout(res, 50)); // until the kill has landed: the task must be stopped to delete
  }
  await c.ctr('containers', 'delete', name);
}

/** A test file's containerd: started with the image before its tests, stopped and removed after. */
export function useContainerd(prefix: string): { dir: () => string; containerd: () => Containerd } {
  let dir = '';
  let containerd: Containerd | undefined;
  beforeAll(async () => {
    dir = privateDir(prefix);
    containerd = await startContainerd(dir, prefix);
    await importImage(containerd, await buildImageArchive(dir));
  }, 120_000);
  afterAll(async () => {
    await containerd?.daemon.stop();
    if (dir) {
      // the native snapshotter's and the shims' leftovers are all under the private root
      await run('umount', ['-R', join(dir, 'state')]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
    removeCgroupParent(prefix);
  });
  return { dir: () => dir, containerd: () => containerd! };
}
