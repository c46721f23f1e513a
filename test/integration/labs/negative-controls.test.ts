// Negative controls: a check is worth having only if it fails when its isolation is removed. Each lab
// runs against a wrapper around runc (test/fixtures/runtimes/) that removes that isolation, and must
// FAIL, with the checks named here among the failures.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLabs } from '../../../src/labs/catalog.js';
import { leftoversOf, readJunit, ROOT, RUNTIMES, tslab } from '../../e2e/lab-helpers.js';
import { removeDefaultNetworkAfterAll } from '../../helpers/default-network.js';

interface Control {
  wrapper: string;
  /** check titles (as in the lab) that must fail; empty: the lab must fail, at a step if need be */
  mustFail: string[];
}

const CONTROLS: Record<string, Control | Control[]> = {
  'namespaces/pid-namespace': { wrapper: 'no-pid-ns', mustFail: ['PID 1 inside is the container\'s sleep', 'NSpid lists the host pid, then 1', 'only a handful of processes are visible inside'] },
  'namespaces/uts-namespace': { wrapper: 'no-uts-ns', mustFail: ['inside, the hostname is the one config.json asked for', 'the host keeps its own hostname'] },
  'namespaces/ipc-namespace': { wrapper: 'no-ipc-ns', mustFail: ['the container does not see the host\'s segment', 'the host does not see the container\'s segment'] },
  'namespaces/user-namespace': { wrapper: 'no-user-ns', mustFail: ['uid_map maps container 0 to host 100000, 65536 ids', 'the host sees the container\'s root as uid 100000', 'host root\'s files show as nobody (65534) inside'] },
  'namespaces/cgroup-namespace': [
    { wrapper: 'no-cgroup-ns', mustFail: ['inside, the container\'s cgroup is /', 'the container\'s cgroup namespace is not the host\'s'] },
    { wrapper: 'other-cgroup', mustFail: ['the host sees the container\'s real cgroup path, named after the container'] },
  ],
  'namespaces/mount-namespace': [
    { wrapper: 'no-pivot', mustFail: ['under the container\'s root there is no host filesystem'] },
    { wrapper: 'host-root-mount', mustFail: ['the host\'s root filesystem is not mounted in the container'] },
  ],
  'cgroups/memory-limit': { wrapper: 'no-memory-limit', mustFail: ['dd was killed with SIGKILL (exit status 137)', 'the cgroup counted an OOM kill', 'the host reads a 32 MiB limit in the container\'s cgroup'] },
  'cgroups/pids-limit': { wrapper: 'no-pids-limit', mustFail: ['fork() failed inside the container', 'the cgroup refused forks at the limit (pids.events max)', 'the host sees at most 16 of the container\'s processes'] },
  'cgroups/cpu-quota': { wrapper: 'no-cpu-quota', mustFail: ['cpu.stat counts throttled periods', 'the throttled time is visible from inside too'] },
  'cgroups/freezer': { wrapper: 'cgroup-escape', mustFail: ['the counter stops', 'the container\'s init is in the cgroup config.json named'] },
  'cgroups/cpuset': { wrapper: 'no-cpuset', mustFail: ['inside, nproc counts one CPU', 'the container\'s init may run on CPU 0 only'] },
  'overlay/copy-on-write': { wrapper: 'private-rootfs', mustFail: ['the changed file was copied up into the upper layer', 'the new file exists only in the upper layer'] },
  'overlay/whiteouts': { wrapper: 'private-rootfs', mustFail: ['the upper layer has a whiteout: a character device 0:0', 'upper/usr/sbin is marked opaque (trusted.overlay.opaque = y)'] },
  'overlay/shared-layers': { wrapper: 'private-rootfs', mustFail: ['both containers see the image\'s /bin/busybox inode', 'the running processes map the image\'s file'] },
  'security/capabilities': { wrapper: 'add-caps', mustFail: ['mount(2) failed inside the container', 'loading a module is not allowed to the container\'s process', 'the host sees no CAP_SYS_ADMIN and no CAP_SYS_MODULE in the effective set'] },
  'security/devices-cgroup': { wrapper: 'allow-devices', mustFail: ['inside, the kernel log device cannot be opened (or even made)'] },
  'security/masked-paths': { wrapper: 'no-masked-paths', mustFail: ['inside, every masked /proc file with content on the host reads as empty', 'the container\'s mount table has a mount on /proc/timer_list'] },
  'security/readonly-paths': { wrapper: 'no-readonly-paths', mustFail: ['writing /proc/sys/kernel/hostname fails inside', 'the container\'s /proc/sys is mounted read-only'] },
  'security/no-new-privileges': { wrapper: 'nnp-off', mustFail: ['the container\'s process reports NoNewPrivs: 1', 'the host sees NoNewPrivs: 1 for the container\'s process'] },
  'security/readonly-rootfs': { wrapper: 'rw-rootfs', mustFail: ['writing to / fails with "Read-only file system"', 'the container\'s root mount is read-only'] },
  // the networking engineer's labs
  'network/net-namespace': { wrapper: 'no-net-ns', mustFail: ['the container\'s network namespace is not the host\'s'] },
  'network/veth-pair': { wrapper: 'no-net-ns', mustFail: [] },
  'network/port-publish': { wrapper: 'no-net-ns', mustFail: [] },
};

const LABS = join(ROOT, 'labs');
const work = mkdtempSync(join(tmpdir(), 'tslabt-labs-neg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
removeDefaultNetworkAfterAll(); // the network labs bring up tslab0 on the default data root

describe('negative controls', () => {
  it('every lab has one', () => {
    const missing = findLabs(LABS, LABS).map((l) => l.id).filter((id) => !CONTROLS[id]);
    expect(missing, 'add the lab to CONTROLS with a wrapper that removes its isolation').toEqual([]);
  });

  const cases = findLabs(LABS, LABS).map((l) => l.id).filter((id) => CONTROLS[id])
    .flatMap((id) => [CONTROLS[id]!].flat().map((control) => [id, control.wrapper, control] as const));
  it.each(cases)('%s fails under %s', async (id, _wrapper, control) => {
    const out = join(work, `${id.replace(/\//g, '-')}-${control.wrapper}.xml`);
    const prefix = 'tslabt-neg-';
    const r = await tslab(['test', id, '--runtime', join(RUNTIMES, control.wrapper), '--reporter', 'junit', '--output', out, '--name-prefix', prefix]);
    expect(r.code, `${id} passed under ${control.wrapper}: its checks cannot fail\n${r.stderr}`).toBe(1);
    const junit = readJunit(out);
    const lab = junit.find((c) => c.name === 'lab');
    if (control.mustFail.length > 0) {
      expect(lab, `the lab itself broke instead of its checks failing: ${lab?.message}`).toBeUndefined();
      for (const title of control.mustFail) {
        const tc = junit.find((c) => c.name.endsWith(` › ${title}`));
        expect(tc, `no check "${title}" in ${id}`).toBeDefined();
        expect(tc!.status, `"${title}" under ${control.wrapper}`).toBe('failure');
      }
    }
    expect(leftoversOf(prefix)).toEqual([]);
  }, 180_000);
});
