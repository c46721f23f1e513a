// config.json for lab containers: the lab's declarations land where the runtime reads them.
import { describe, expect, it } from 'vitest';
import { labSpec } from '../../../src/labs/bundle.js';
import { validateSpec } from '../../../src/oci/validate.js';

const plan = { rootfs: '/var/lib/tslab/lab-rootfs/busybox-x', cgroupsPath: '/tslabt-lab-c-1' };

describe('labSpec', () => {
  it('starts from runc\'s default spec, with no terminal and a long sleep', () => {
    const spec = labSpec({ image: 'busybox' }, plan);
    expect(spec.process!.terminal).toBe(false);
    expect(spec.process!.args).toEqual(['sleep', '1000000']);
    expect(spec.root).toEqual({ path: plan.rootfs, readonly: true });
    expect(spec.linux!.cgroupsPath).toBe(plan.cgroupsPath);
    expect(spec.linux!.namespaces!.map((n) => n.type).sort()).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
  });

  it('applies limits in the spec\'s units', () => {
    const spec = labSpec({ image: 'busybox', limits: { memoryBytes: 1 << 25, pids: 16, cpuQuotaUs: 20000, cpus: '0' } }, plan);
    expect(spec.linux!.resources!.memory).toEqual({ limit: 1 << 25 });
    expect(spec.linux!.resources!.pids).toEqual({ limit: 16 });
    expect(spec.linux!.resources!.cpu).toEqual({ quota: 20000, period: 100000, cpus: '0' });
    expect(spec.linux!.resources!.devices).toEqual([{ allow: false, access: 'rwm' }]);
  });

  it('adds a user namespace with its maps for idMap', () => {
    const spec = labSpec({ image: 'busybox', idMap: { hostId: 100000, size: 65536 } }, plan);
    expect(spec.linux!.namespaces!.some((n) => n.type === 'user')).toBe(true);
    expect(spec.linux!.uidMappings).toEqual([{ containerID: 0, hostID: 100000, size: 65536 }]);
    expect(spec.linux!.gidMappings).toEqual([{ containerID: 0, hostID: 100000, size: 65536 }]);
  });

  it('drops the hostname when the lab asks for no UTS namespace (runtimes refuse it)', () => {
    const spec = labSpec({ image: 'busybox', hostname: 'x', namespaces: ['pid', 'mount'] }, plan);
    expect(spec.hostname).toBeUndefined();
  });

  it('overlay roots are writable unless the lab says otherwise; capabilities replace every set', () => {
    expect(labSpec({ image: 'busybox', rootfs: 'overlay' }, plan).root!.readonly).toBe(false);
    expect(labSpec({ image: 'busybox', rootfs: 'overlay', readonly: true }, plan).root!.readonly).toBe(true);
    const caps = labSpec({ image: 'busybox', capabilities: ['CAP_CHOWN'] }, plan).process!.capabilities!;
    expect(caps).toEqual({ bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'], ambient: ['CAP_CHOWN'] });
  });

  it('volumes and tmpfs are read as `tslab container run` reads -v and --tmpfs; network host drops the network namespace', () => {
    const spec = labSpec({ image: 'busybox', volumes: ['/tmp:/data:ro'], tmpfs: ['/scratch:size=1m'], network: 'host' }, plan);
    expect(spec.mounts).toContainEqual({ destination: '/data', type: 'bind', source: '/tmp', options: ['rbind', 'rprivate', 'ro'] });
    expect(spec.mounts).toContainEqual({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m'] });
    expect(spec.linux!.namespaces!.some((n) => n.type === 'network')).toBe(false);
    expect(labSpec({ image: 'busybox' }, plan).linux!.namespaces!.some((n) => n.type === 'network')).toBe(true);
    expect(() => labSpec({ image: 'busybox', volumes: ['data'] }, plan)).toThrow(/invalid volume "data"/);
  });

  it('a bridge network\'s file binds land in the mounts; ports without a bridge are refused in one line', () => {
    const hosts = { destination: '/etc/hosts', type: 'bind', source: '/x/hosts', options: ['rbind', 'ro'] };
    expect(labSpec({ image: 'busybox', network: 'bridge', ports: ['8080:80'] }, plan, [hosts]).mounts).toContainEqual(hosts);
    expect(() => labSpec({ image: 'busybox', ports: ['8080:80'] }, plan)).toThrow(/publishing ports needs network: 'bridge'.*not none/);
  });

  it('produces configs the validator accepts', () => {
    const spec = labSpec({ image: 'busybox', limits: { memoryBytes: 1 << 25 }, idMap: { hostId: 100000, size: 65536 } }, plan);
    expect(() => validateSpec(spec)).not.toThrow();
  });
});
