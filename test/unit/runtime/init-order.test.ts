// The order of the init's system calls, on the recording backend (no root, no kernel): the
// filesystem before and after pivot_root (src/runtime/init/rootfs.ts) and the last steps before
// execve (src/runtime/init/process.ts). The order is the point: a mount before the propagation
// change leaks to the host, a masked path after the read-only root cannot be mounted, seccomp
// before the uid change without no_new_privs needs CAP_SYS_ADMIN.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingBackend, type RecordedCall } from '../../../src/runtime/sys/recording.js';
import { MNT, MS, PR, capabilityNumber, setSysBackend } from '../../../src/runtime/sys/index.js';
import { enterRootfs, mountContainerFilesystems } from '../../../src/runtime/init/rootfs.js';
import { becomeProgram } from '../../../src/runtime/init/process.js';
import type { Process, Spec } from '../../../src/oci/spec.js';

let backend: RecordingBackend;
let work: string;

beforeEach(() => {
  backend = new RecordingBackend();
  setSysBackend(backend);
  work = mkdtempSync(join(tmpdir(), 'tslabt-unit-init-'));
});

afterEach(() => {
  setSysBackend(undefined);
  rmSync(work, { recursive: true, force: true });
});

/** The recorded calls as `name arg arg …` lines, mount flags as numbers. */
function lines(calls: RecordedCall[]): string[] {
  return calls.map((c) => [c.call, ...c.args.map((a) => (typeof a === 'object' && a !== null ? JSON.stringify(a, (_, v) => (typeof v === 'bigint' ? String(v) : v)) : String(a)))].join(' '));
}

const mount = (source: string | null, target: string, fstype: string | null, flags: number, data: string | null): string =>
  `mount ${source} ${target} ${fstype} ${flags} ${data}`;

describe('the filesystem before pivot_root', () => {
  it('changes propagation first, binds the rootfs, then mounts in config order, the cgroup hook right before a cgroup mount, then devices', () => {
    const rootfs = join(work, 'rootfs');
    const hostDir = join(work, 'data');
    mkdirSync(rootfs);
    mkdirSync(hostDir);
    const spec: Spec = {
      ociVersion: '1.2.0',
      root: { path: 'rootfs' },
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/data', type: 'bind', source: hostDir, options: ['rbind', 'ro'] },
        { destination: '/sys/fs/cgroup', type: 'cgroup2', source: 'cgroup', options: ['nosuid', 'rprivate'] },
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] },
      ],
      linux: { devices: [] },
    };
    let cgroupHookAt = -1;
    mountContainerFilesystems({ rootfs, bundle: work, spec, cgroupMode: 'v2', inUserNamespace: false, unshareFlags: 0, cgroupPath: '/tslabt-order' },
      () => (cgroupHookAt = backend.calls.length));

    const got = lines(backend.calls);
    expect(got.slice(0, 8)).toEqual([
      mount(null, '/', null, MS.MS_SLAVE | MS.MS_REC, null),
      mount(rootfs, rootfs, null, MS.MS_BIND | MS.MS_REC, null),
      mount('proc', join(rootfs, 'proc'), 'proc', 0, null),
      mount(hostDir, join(rootfs, 'data'), null, MS.MS_BIND | MS.MS_REC, null),
      // a bind takes its flags only on a remount
      mount(null, join(rootfs, 'data'), null, MS.MS_BIND | MS.MS_REMOUNT | MS.MS_REC | MS.MS_RDONLY, null),
      mount('cgroup2', join(rootfs, 'sys/fs/cgroup'), 'cgroup2', MS.MS_NOSUID, null),
      mount(null, join(rootfs, 'sys/fs/cgroup'), null, MS.MS_PRIVATE | MS.MS_REC, null),
      mount('tmpfs', join(rootfs, 'tmp'), 'tmpfs', MS.MS_NOSUID, 'size=1m'),
    ]);
    expect(cgroupHookAt).toBe(5);
    // the default devices are made with umask 0 (their modes as given), and the umask restored
    const devices = got.slice(8);
    expect(devices[0]).toBe('umask 0');
    expect(devices.filter((l) => l.startsWith('mknod')).map((l) => l.split(' ')[1])).toEqual(
      ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty'].map((d) => join(rootfs, d)));
    expect(devices.at(-1)).toBe('umask 18');
  });

  it('in a user namespace binds the host device nodes instead of mknod (refused there)', () => {
    const rootfs = join(work, 'rootfs');
    mkdirSync(rootfs);
    const spec: Spec = { ociVersion: '1.2.0', root: { path: 'rootfs' }, mounts: [] };
    mountContainerFilesystems({ rootfs, bundle: work, spec, cgroupMode: 'v1', inUserNamespace: true, unshareFlags: 0, cgroupPath: '/tslabt-order' }, () => {
      throw new Error('no cgroup mount: the hook must not run');
    });
    const got = lines(backend.calls);
    expect(got.some((l) => l.startsWith('mknod'))).toBe(false);
    expect(got).toContain(mount('/dev/null', join(rootfs, 'dev/null'), null, MS.MS_BIND, null));
  });
});

describe('the filesystem after pivot_root', () => {
  it('pivots, detaches the old root, sets propagation, then masks, then read-only paths, then the read-only root', () => {
    const maskedDir = join(work, 'acpi');
    const maskedFile = join(work, 'kcore');
    const readonly = join(work, 'sys-fs');
    mkdirSync(maskedDir);
    writeFileSync(maskedFile, '');
    mkdirSync(readonly);
    const spec: Spec = {
      ociVersion: '1.2.0',
      root: { path: 'rootfs', readonly: true },
      linux: {
        rootfsPropagation: 'rshared',
        maskedPaths: [maskedDir, join(work, 'missing'), maskedFile],
        readonlyPaths: [readonly, join(work, 'also-missing')],
      },
    };
    let sysctlsAt = -1;
    enterRootfs(spec, '/bundle/rootfs', () => (sysctlsAt = backend.calls.length));

    const got = lines(backend.calls);
    expect(got.slice(0, 6)).toEqual([
      'chdir /bundle/rootfs',
      'pivot_root . .',
      // the old root is stacked on the new one: slave it, so its unmount does not reach the host
      mount(null, '.', null, MS.MS_SLAVE | MS.MS_REC, null),
      `umount2 . ${MNT.MNT_DETACH}`,
      'chdir /',
      mount(null, '/', null, MS.MS_SHARED | MS.MS_REC, null),
    ]);
    expect(sysctlsAt).toBe(6);
    const rest = got.slice(6);
    expect(rest.slice(0, 4)).toEqual([
      mount('tmpfs', maskedDir, 'tmpfs', MS.MS_RDONLY, null), // a directory: an empty read-only tmpfs over it
      mount('/dev/null', maskedFile, null, MS.MS_BIND, null), // a file: /dev/null over it; a missing path is skipped
      mount(readonly, readonly, null, MS.MS_BIND | MS.MS_REC, null),
      expect.stringMatching(new RegExp(`^mount null ${readonly} null \\d+ null$`)),
    ]);
    const remount = Number(rest[3]!.split(' ')[4]);
    expect(remount & (MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY | MS.MS_REC)).toBe(MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY | MS.MS_REC);
    expect(rest).toHaveLength(5);
    expect(rest[4]).toMatch(/^mount null \/ null \d+ null$/);
    expect(Number(rest[4]!.split(' ')[4]) & MS.MS_RDONLY).toBe(MS.MS_RDONLY);
  });
});

describe('the last steps before execve', () => {
  const proc = (noNewPrivileges: boolean): Process => ({
    args: ['/bin/sh', '-c', 'true'],
    env: ['PATH=/bin'],
    cwd: '/work',
    user: { uid: 1000, gid: 1000, additionalGids: [10], umask: 0o027 },
    noNewPrivileges,
    capabilities: {
      bounding: ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'],
      effective: ['CAP_NET_BIND_SERVICE'],
      permitted: ['CAP_NET_BIND_SERVICE'],
      inheritable: ['CAP_NET_BIND_SERVICE'],
      ambient: ['CAP_NET_BIND_SERVICE'],
    },
  });

  /** Runs becomeProgram to its execve (which the recording backend makes throw) and names the calls. */
  function run(p: Process): string[] {
    const seccomp = { load: () => void backend.calls.push({ call: 'seccomp_load', args: [] }) };
    expect(() => becomeProgram(p, seccomp, true)).toThrow(/execve does not return/);
    return backend.calls.map((c) => (c.call === 'prctl' ? `prctl ${c.args[0]}` : c.call));
  }

  it('drops the bounding set, cleans fds and signals, becomes the user, sets caps, then no_new_privs, seccomp last', () => {
    const calls = run(proc(true));
    const firstOther = calls.findIndex((c) => c !== `prctl ${PR.PR_CAPBSET_DROP}`);
    expect(firstOther).toBeGreaterThan(0);
    // every capability but the two kept is dropped from the bounding set, none of the kept ones
    const dropped = backend.calls.slice(0, firstOther).map((c) => c.args[1]);
    expect(dropped).not.toContain(capabilityNumber('CAP_CHOWN'));
    expect(dropped).not.toContain(capabilityNumber('CAP_NET_BIND_SERVICE'));
    expect(dropped).toContain(capabilityNumber('CAP_SYS_ADMIN'));
    expect(calls.slice(firstOther)).toEqual([
      'clear_cloexec', 'clear_cloexec', 'clear_cloexec', 'close_range', 'reset_signal', 'reset_signal', 'unblock_signals',
      `prctl ${PR.PR_SET_KEEPCAPS}`, 'setgroups', 'setresgid', 'setresuid', `prctl ${PR.PR_SET_KEEPCAPS}`,
      'capset', `prctl ${PR.PR_CAP_AMBIENT}`, `prctl ${PR.PR_CAP_AMBIENT}`,
      // a credential change resets dumpable: the init says non-dumpable again before anything else
      `prctl ${PR.PR_SET_DUMPABLE}`,
      `prctl ${PR.PR_SET_NO_NEW_PRIVS}`, 'umask', 'chdir', 'seccomp_load', 'execve',
    ]);
    const execve = backend.calls.at(-1)!;
    expect(execve.args).toEqual(['/bin/sh', ['/bin/sh', '-c', 'true'], ['PATH=/bin']]);
    expect(backend.calls.find((c) => c.call === 'close_range')!.args.slice(0, 1)).toEqual([3]);
    expect(backend.calls.filter((c) => c.call === 'reset_signal').map((c) => c.args[0])).toEqual([13, 25]); // SIGPIPE, SIGXFSZ
  });

  it('without no_new_privs loads seccomp before the uid change (later it would need CAP_SYS_ADMIN)', () => {
    const calls = run(proc(false)).filter((c) => c !== `prctl ${PR.PR_CAPBSET_DROP}`);
    expect(calls.indexOf('seccomp_load')).toBe(calls.indexOf('unblock_signals') + 1);
    expect(calls.indexOf('seccomp_load')).toBeLessThan(calls.indexOf('setresuid'));
    expect(calls).not.toContain(`prctl ${PR.PR_SET_NO_NEW_PRIVS}`);
  });
});
