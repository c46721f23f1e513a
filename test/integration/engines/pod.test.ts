// A pod as Kubernetes makes one, through containerd: a sandbox container (a pause-like busybox
// sleep) holding the network, IPC and UTS namespaces, and two containers that join them by path
// (what the CRI plugin does with the sandbox's namespaces), then torn down in Kubernetes' order:
// the containers, then the sandbox. On tslab-runtime and on runc. No kubelet: see docs/kubernetes.md.
import { describe, expect, it } from 'vitest';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../helpers/runtimes.js';
import { enginePrefix, leftBehind, missing, runtimesUnderTest, IMAGE } from './harness.js';
import { removeContainer, useContainerd } from './containerd.js';

const absent = missing({ containerd: 'containerd', ctr: 'containerd', 'containerd-shim-runc-v2': 'containerd' });
const prefix = enginePrefix('pod');
const SHARED = [['network', 'net'], ['ipc', 'ipc'], ['uts', 'uts']] as const;

describe.skipIf(absent !== undefined)(`a pod through containerd ${absent ? `(skipped: ${absent})` : ''}`, { timeout: 120_000 }, () => {
  const ours = useContainerd(prefix);

  for (const rt of runtimesUnderTest()) {
    it(`${rt.name}: two containers join the sandbox's net, IPC and UTS namespaces; teardown leaves nothing`, async () => {
      const c = ours.containerd();
      const dir = ours.dir();
      const tag = rt.name === 'runc' ? 'runc' : 'tslab';
      const names = { sandbox: `${prefix}-${tag}-sandbox`, a: `${prefix}-${tag}-app`, b: `${prefix}-${tag}-sidecar` };
      const base = (name: string): string[] => ['--snapshotter', 'native', '--runc-binary', rt.path, '--runc-root', join(dir, 'runc-root'), '--cgroup', `/${prefix}/${name}`];
      const pidOf = async (name: string): Promise<number> => {
        const line = (await c.ctr('task', 'ls')).stdout.split('\n').find((l) => l.split(/\s+/)[0] === name);
        return Number(line?.trim().split(/\s+/)[1] ?? 0);
      };
      const pids: Record<string, number> = {};
      try {
        const sandbox = await c.ctr('run', '-d', '--null-io', ...base(names.sandbox), IMAGE, names.sandbox, 'sleep', '3600');
        expect(sandbox.code, sandbox.stderr).toBe(0);
        pids.sandbox = await waitFor('the sandbox to run', async () => (await pidOf(names.sandbox)) || undefined);
        const joins = SHARED.flatMap(([type, file]) => ['--with-ns', `${type}:/proc/${pids.sandbox}/ns/${file}`]);
        for (const name of [names.a, names.b]) {
          const r = await c.ctr('run', '-d', '--null-io', ...base(name), ...joins, IMAGE, name, 'sleep', '3600');
          expect(r.code, r.stderr).toBe(0);
          pids[name] = await waitFor(`${name} to run`, async () => (await pidOf(name)) || undefined);
        }
        const sandboxNs = SHARED.map(([, file]) => readlinkSync(`/proc/${pids.sandbox}/ns/${file}`));
        for (const name of [names.a, names.b]) {
          // as the kernel sees it from the host, and as the container itself reads it. The short sleep:
          // containerd 1.6's shim loses the exit of an exec that ends before the runtime's `exec -d` returns.
          expect(SHARED.map(([, file]) => readlinkSync(`/proc/${pids[name]}/ns/${file}`)), name).toEqual(sandboxNs);
          const inside = await c.ctr('task', 'exec', '--exec-id', 'ns', name, 'sh', '-c', `for f in ${SHARED.map(([, f]) => f).join(' ')}; do readlink /proc/self/ns/$f; done; sleep 0.5`);
          expect(inside.stdout.trim().split(/\s+/), inside.stderr).toEqual(sandboxNs);
        }
        for (const ns of sandboxNs) expect(ns).not.toBe(readlinkSync(`/proc/self/ns/${ns.split(':')[0]!}`));
        // what is not shared stays each container's own (as in a pod: pid and mount namespaces)
        expect(readlinkSync(`/proc/${pids[names.a]}/ns/mnt`)).not.toBe(readlinkSync(`/proc/${pids.sandbox}/ns/mnt`));
        expect(readlinkSync(`/proc/${pids[names.a]}/ns/pid`)).not.toBe(readlinkSync(`/proc/${pids[names.b]}/ns/pid`));
      } finally {
        for (const name of [names.a, names.b, names.sandbox]) await removeContainer(c, name);
      }
      for (const name of [names.a, names.b, names.sandbox]) {
        await waitFor(`${name} to leave nothing`, () => (leftBehind(name, pids[name === names.sandbox ? 'sandbox' : name] ?? 0, [dir]).length === 0 ? true : undefined), 20_000)
          .catch(() => expect(leftBehind(name, pids[name === names.sandbox ? 'sandbox' : name] ?? 0, [dir])).toEqual([]));
      }
    });
  }
});
