// The same bundles under our runtime and under runc: runc is the oracle for what is observable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME, type Runtime } from '../../helpers/runtimes.js';
import type { Spec } from '../../../src/oci/spec.js';

const runtimes: Runtime[] = [];
let stateRoot: string;

beforeAll(() => {
  stateRoot = mkdtempSync(join(tmpdir(), 'tslabt-state-'));
  runtimes.push({ name: 'tslab', path: TSLAB_RUNTIME, root: join(stateRoot, 'tslab') });
  const runc = runcPath();
  if (!runc) throw new Error('runc is not installed (apt-get install runc): it is the oracle for these tests');
  runtimes.push({ name: 'runc', path: runc, root: join(stateRoot, 'runc') });
});

afterAll(() => {
  rmSync(stateRoot, { recursive: true, force: true });
});

async function runIn(rt: Runtime, args: string[], edit?: (spec: Spec, id: string) => void) {
  const id = uniqueId(rt.name);
  const bundle = makeBundle(args, edit, id);
  try {
    return await run(rt.path, ['--root', rt.root, 'run', '--bundle', bundle.dir, id]);
  } finally {
    await run(rt.path, ['--root', rt.root, 'delete', '--force', id]);
    bundle.cleanup();
  }
}

describe.each(['tslab', 'runc'])('%s runs a busybox bundle', (name) => {
  const rt = (): Runtime => runtimes.find((r) => r.name === name)!;

  it('is PID 1 in its own pid namespace', async () => {
    const r = await runIn(rt(), ['sh', '-c', 'echo $$']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('1');
    expect(r.code).toBe(0);
  });

  // without a cgroup namespace of its own, /sys/fs/cgroup/<controller> is the container's own cgroup (runc binds it), not the host's tree
  it.skipIf(!existsSync('/sys/fs/cgroup/memory'))('sees its own memory limit at /sys/fs/cgroup/memory without a cgroup namespace (cgroup v1)', async () => {
    const r = await runIn(rt(), ['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; ls /sys/fs/cgroup/memory | grep -c "^tslabt" || true'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 48 * 1024 * 1024 } };
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([String(48 * 1024 * 1024), '0']);
  });

  it('has the config hostname', async () => {
    const r = await runIn(rt(), ['hostname'], (s) => { s.hostname = 'tslabt-host'; });
    expect(r.stdout.trim()).toBe('tslabt-host');
  });

  it('sees only lo in a new network namespace', async () => {
    const r = await runIn(rt(), ['ls', '/sys/class/net']);
    expect(r.stdout.trim().split(/\s+/)).toEqual(['lo']);
  });

  it('cannot see host files', async () => {
    const marker = join('/tmp', `${uniqueId('marker')}`);
    writeFileSync(marker, 'host');
    try {
      const r = await runIn(rt(), ['sh', '-c', `test -e ${marker} && echo visible || echo hidden; ls /`]);
      expect(r.stdout.split('\n')[0]).toBe('hidden');
      expect(existsSync(marker)).toBe(true);
    } finally {
      rmSync(marker, { force: true });
    }
  });

  it('returns the exit code', async () => {
    const r = await runIn(rt(), ['sh', '-c', 'exit 42']);
    expect(r.code).toBe(42);
  });

  it('kills a 64 MiB allocation under a 32 MiB memory limit', async () => {
    const limit = 32 * 1024 * 1024;
    const r = await runIn(rt(), ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo dd=$?'], (s) => {
      s.linux!.resources = { ...s.linux!.resources, memory: { limit, swap: limit } };
    });
    expect(r.stdout.trim()).toBe('dd=137');
  });

  it('lets a 16 MiB allocation through under the same limit (the limit, not the test, kills)', async () => {
    const limit = 32 * 1024 * 1024;
    const r = await runIn(rt(), ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=16M count=1 2>/dev/null; echo dd=$?'], (s) => {
      s.linux!.resources = { ...s.linux!.resources, memory: { limit, swap: limit } };
    });
    expect(r.stdout.trim()).toBe('dd=0');
  });

  it('stops forks at the pids limit', async () => {
    // The inner shell forks until the kernel refuses (or 50 times); builtins report the count
    // because forking anything more would fail too.
    const script = 'sh -c \'n=0; while [ $n -lt 50 ]; do sleep 5 & n=$((n+1)); echo $n > /dev/shm/n; done\' 2>/dev/null; read n < /dev/shm/n; echo forked=$n';
    const r = await runIn(rt(), ['sh', '-c', script], (s) => {
      s.linux!.resources = { ...s.linux!.resources, pids: { limit: 6 } };
    });
    const forked = Number(/forked=(\d+)/.exec(r.stdout)?.[1] ?? '-1');
    expect(forked).toBeGreaterThanOrEqual(0);
    expect(forked).toBeLessThan(6);
  });

  it('runs as the configured user with additional groups', async () => {
    const r = await runIn(rt(), ['id'], (s) => { s.process!.user = { uid: 65534, gid: 65534, additionalGids: [10] }; });
    expect(r.stdout).toContain('uid=65534');
    expect(r.stdout).toContain('gid=65534');
    expect(r.stdout).toMatch(/groups=.*10/);
  });

  it('gives the default capability set and no more', async () => {
    const r = await runIn(rt(), ['sh', '-c', 'grep -E "^Cap(Eff|Bnd|Prm)" /proc/self/status; grep NoNewPrivs /proc/self/status']);
    expect(r.stdout).toMatch(/CapEff:\s+00000000200000420*\s|CapEff:\s+0000000020000420/);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
  });

  it('has a read-only root and masked /proc/keys', async () => {
    const r = await runIn(rt(), ['sh', '-c', 'touch /x 2>/dev/null && echo writable || echo readonly; wc -c < /proc/keys']);
    expect(r.stdout.split('\n')[0]).toBe('readonly');
    expect(r.stdout.split('\n')[1]?.trim()).toBe('0');
  });

  it('applies rlimits', async () => {
    const r = await runIn(rt(), ['sh', '-c', 'ulimit -n'], (s) => { s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 654 }]; });
    expect(r.stdout.trim()).toBe('321');
  });

  it('sets sysctls in its own namespaces', async () => {
    const r = await runIn(rt(), ['cat', '/proc/sys/net/ipv4/ip_forward'], (s) => { s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' }; });
    expect(r.stdout.trim()).toBe('1');
  });

  it('is root inside a user namespace and an unprivileged id outside', async () => {
    const r = await runIn(rt(), ['sh', '-c', 'id -u; cat /proc/self/uid_map; cat /proc/self/status | grep ^Uid'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('0');
    expect(lines[1]!.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    expect(r.code).toBe(0);
  });

  it('applies a seccomp profile: a filtered syscall fails with the configured errno', async () => {
    const r = await runIn(rt(), ['sh', '-c', 'mkdir /dev/shm/a 2>&1; echo rc=$?; touch /dev/shm/b && echo touched'], (s) => {
      s.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      };
    });
    expect(r.stdout).toMatch(/Operation not permitted/);
    expect(r.stdout).toContain('rc=1');
    expect(r.stdout).toContain('touched');
  });

  it('seccomp argument conditions filter only matching calls', async () => {
    // Only chmod to mode 0700 is denied (EACCES); other modes pass.
    const r = await runIn(rt(), ['sh', '-c', 'touch /dev/shm/f; chmod 644 /dev/shm/f && echo changed; chmod 700 /dev/shm/f 2>&1 || echo denied'], (s) => {
      s.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 1, value: 0o700, op: 'SCMP_CMP_EQ' }] },
          { names: ['fchmodat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 2, value: 0o700, op: 'SCMP_CMP_EQ' }] },
        ],
      };
    });
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('changed');
    expect(lines[1]).toMatch(/Permission denied/);
    expect(lines[2]).toBe('denied');
  });

  it('bind-mounts a host directory read-only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tslabt-bind-'));
    writeFileSync(join(dir, 'hello'), 'from host\n');
    try {
      const r = await runIn(rt(), ['sh', '-c', 'cat /data/hello; touch /data/new 2>/dev/null && echo rw || echo ro'], (s) => {
        s.mounts!.push({ destination: '/data', type: 'bind', source: dir, options: ['rbind', 'ro'] });
      });
      expect(r.stdout.split('\n')).toEqual(['from host', 'ro', '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
