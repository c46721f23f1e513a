// src/runtime/sys: the only door to libc. Each wrapper decodes its arguments for people
// (CLONE_NEWPID|CLONE_NEWNS, MS_REC|MS_PRIVATE) and runs the call as one traced step.
import { closeSync, constants as fsConstants, openSync, writeFileSync, readFileSync } from 'node:fs';
import { tracer } from '../../tracer/tracer.js';
import type { ArgValue, EventKind } from '../../tracer/event.js';
import type { CapSets, Rlimit, SysBackend } from './backend.js';
import { createLinuxBackend } from './linux.js';
import {
  CAPABILITIES, cloneFlagNames, mountFlagNames, prctlOptionName, umountFlagNames, PR, CLOSE_RANGE_CLOEXEC,
} from './flags.js';

export { SysError } from './error.js';
export type { SysBackend, CapSets, Rlimit } from './backend.js';
export * from './flags.js';

let backend: SysBackend | undefined;

function raw(): SysBackend {
  backend ??= createLinuxBackend();
  return backend;
}

/** Swaps the backend (tests use RecordingBackend); returns the previous one. */
export function setSysBackend(next: SysBackend | undefined): SysBackend | undefined {
  const previous = backend;
  backend = next;
  return previous;
}

function call<T>(kind: EventKind, step: string, args: Record<string, ArgValue>, summary: string, fn: () => T): T {
  return tracer.step({ kind, step, args, summary }, fn);
}

export function capNames(mask: bigint): string[] {
  const names: string[] = [];
  CAPABILITIES.forEach((name, i) => {
    if ((mask >> BigInt(i)) & 1n) names.push(name);
  });
  return names;
}

const SIGNAL_NAMES: Record<number, string> = { 13: 'SIGPIPE', 25: 'SIGXFSZ' };

export const sys = {
  unshare(flags: number): void {
    const names = cloneFlagNames(flags);
    call('syscall', 'unshare', { flags: names }, `unshare ${names}`, () => raw().unshare(flags));
  },
  setns(fd: number, nstype: number, path: string): void {
    const names = cloneFlagNames(nstype);
    call('syscall', 'setns', { fd, nstype: names, path }, `setns ${path} ${names}`, () => raw().setns(fd, nstype));
  },
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
    const names = mountFlagNames(flags);
    const summary = `mount ${source ?? 'none'} ${target}${fstype ? ` -t ${fstype}` : ''} ${names}${data ? ` ${data}` : ''}`;
    call('syscall', 'mount', { source, target, fstype, flags: names, data }, summary, () =>
      raw().mount(source, target, fstype, flags, data));
  },
  umount2(target: string, flags: number): void {
    const names = umountFlagNames(flags);
    call('syscall', 'umount2', { target, flags: names }, `umount2 ${target} ${names}`, () => raw().umount2(target, flags));
  },
  pivotRoot(newRoot: string, putOld: string): void {
    call('syscall', 'pivot_root', { new_root: newRoot, put_old: putOld }, `pivot_root ${newRoot} ${putOld}`, () =>
      raw().pivotRoot(newRoot, putOld));
  },
  chroot(path: string): void {
    call('syscall', 'chroot', { path }, `chroot ${path}`, () => raw().chroot(path));
  },
  chdir(path: string): void {
    call('syscall', 'chdir', { path }, `chdir ${path}`, () => raw().chdir(path));
  },
  sethostname(name: string): void {
    call('syscall', 'sethostname', { name }, `sethostname ${name}`, () => raw().sethostname(name));
  },
  setdomainname(name: string): void {
    call('syscall', 'setdomainname', { name }, `setdomainname ${name}`, () => raw().setdomainname(name));
  },
  mknod(path: string, type: 'c' | 'b' | 'p', perm: number, major: number, minor: number): void {
    const typeBits = type === 'c' ? 0o020000 : type === 'b' ? 0o060000 : 0o010000;
    const mode = typeBits | (perm & 0o7777);
    call('syscall', 'mknod', { path, type, mode: `0${perm.toString(8)}`, major, minor },
      `mknod ${path} ${type} ${major}:${minor}`, () => raw().mknod(path, mode, major, minor));
  },
  mkfifo(path: string, mode: number): void {
    call('syscall', 'mkfifo', { path, mode: `0${mode.toString(8)}` }, `mkfifo ${path}`, () => raw().mkfifo(path, mode));
  },
  prctl(option: number, arg2 = 0, arg3 = 0, arg4 = 0, arg5 = 0, detail?: string): number {
    const name = prctlOptionName(option);
    const shown = detail ?? String(arg2);
    return call('syscall', 'prctl', { option: name, arg: shown }, `prctl ${name} ${shown}`, () =>
      raw().prctl(option, arg2, arg3, arg4, arg5));
  },
  capget(): CapSets {
    return call('syscall', 'capget', {}, 'capget', () => raw().capget());
  },
  capset(sets: CapSets): void {
    const args = {
      effective: capNames(sets.effective).join('|') || '0',
      permitted: capNames(sets.permitted).join('|') || '0',
      inheritable: capNames(sets.inheritable).join('|') || '0',
    };
    call('syscall', 'capset', args, `capset effective=${capNames(sets.effective).length} caps`, () => raw().capset(sets));
  },
  dropBoundingCap(cap: number, name: string): void {
    call('syscall', 'prctl', { option: 'PR_CAPBSET_DROP', arg: name }, `prctl PR_CAPBSET_DROP ${name}`, () =>
      raw().prctl(PR.PR_CAPBSET_DROP, cap, 0, 0, 0));
  },
  setresuid(uid: number): void {
    call('syscall', 'setresuid', { ruid: uid, euid: uid, suid: uid }, `setresuid ${uid} ${uid} ${uid}`, () =>
      raw().setresuid(uid, uid, uid));
  },
  setresgid(gid: number): void {
    call('syscall', 'setresgid', { rgid: gid, egid: gid, sgid: gid }, `setresgid ${gid} ${gid} ${gid}`, () =>
      raw().setresgid(gid, gid, gid));
  },
  /**
   * The calling thread's effective gid only (a raw syscall: glibc would change every thread). The
   * runtime sets it around one spawn: a process exec'd with egid != rgid starts non-dumpable.
   */
  setEgidOfThisThread(egid: number): void {
    call('syscall', 'setresgid', { rgid: -1, egid, sgid: -1, scope: 'this thread' }, `setresgid -1 ${egid} -1 (this thread only)`, () =>
      raw().setresgidThread(-1, egid, -1));
  },
  /** A read-only bind mount of one file that is in no mount namespace, as an fd (open_tree + mount_setattr). */
  openDetachedReadonly(path: string): number {
    const fd = call('syscall', 'open_tree', { path, flags: 'OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC' },
      `open_tree ${path} OPEN_TREE_CLONE (a detached bind mount)`, () => raw().openTreeClone(path));
    try {
      call('syscall', 'mount_setattr', { fd, attr_set: 'MOUNT_ATTR_RDONLY' }, `mount_setattr ${fd} MOUNT_ATTR_RDONLY`,
        () => raw().mountSetattr(fd, MOUNT_ATTR_RDONLY));
    } catch (err) {
      raw().close(fd);
      throw err;
    }
    return fd;
  },
  setgroups(gids: number[]): void {
    call('syscall', 'setgroups', { gids }, `setgroups [${gids.join(',')}]`, () => raw().setgroups(gids));
  },
  prlimit(resource: number, name: string, limit: Rlimit): void {
    const show = (v: bigint): string => (v === 0xffffffffffffffffn ? 'unlimited' : v.toString());
    call('syscall', 'prlimit', { resource: name, soft: show(limit.soft), hard: show(limit.hard) },
      `prlimit ${name} ${show(limit.soft)}/${show(limit.hard)}`, () => raw().prlimit(resource, limit));
  },
  getrlimit(resource: number): Rlimit {
    return raw().getrlimit(resource);
  },
  /** Marks every fd from `first` up close-on-exec, so nothing of the runtime leaks into the container. */
  closeRangeCloexec(first: number): void {
    call('syscall', 'close_range', { first, last: '~0', flags: 'CLOSE_RANGE_CLOEXEC' }, `close_range ${first} ~0 CLOSE_RANGE_CLOEXEC`,
      () => raw().closeRange(first, 0xffffffff, CLOSE_RANGE_CLOEXEC));
  },
  clearCloexec(fd: number): void {
    call('syscall', 'fcntl', { fd, cmd: 'F_SETFD', flags: '0 (clear FD_CLOEXEC)' }, `fcntl ${fd} F_SETFD ~FD_CLOEXEC`,
      () => raw().clearCloexec(fd));
  },
  resetSignal(signal: number): void {
    const name = SIGNAL_NAMES[signal] ?? String(signal);
    call('syscall', 'signal', { signal: name, handler: 'SIG_DFL' }, `signal ${name} SIG_DFL`, () => raw().resetSignal(signal));
  },
  unblockAllSignals(): void {
    call('syscall', 'sigprocmask', { how: 'SIG_SETMASK', set: 'empty' }, 'sigprocmask SIG_SETMASK {}', () => raw().unblockAllSignals());
  },
  setsid(): number {
    return call('syscall', 'setsid', {}, 'setsid', () => raw().setsid());
  },
  setControllingTty(fd: number): void {
    call('syscall', 'ioctl', { fd, request: 'TIOCSCTTY' }, `ioctl ${fd} TIOCSCTTY`, () => raw().ioctlSetControllingTty(fd));
  },
  /** ioctl with a buffer; `name` says which request it is (TIOCGPTN, TIOCSPTLCK, TIOCSWINSZ). */
  ioctlBuffer(fd: number, request: number, name: string, buf: Buffer): void {
    call('syscall', 'ioctl', { fd, request: name }, `ioctl ${fd} ${name}`, () => raw().ioctlBuffer(fd, request, buf));
  },
  umask(mask: number): number {
    return call('syscall', 'umask', { mask: `0${mask.toString(8)}` }, `umask 0${mask.toString(8)}`, () => raw().umask(mask));
  },
  /**
   * execve: the begin event is the last thing the init says. On success the events pipe closes
   * (it is close-on-exec), which tells the parent the exec happened.
   */
  execve(path: string, argv: string[], envp: string[]): never {
    return call('exec', 'execve', { path, argv, env: envp.map((e) => e.replace(/=.*/, '=…')) }, `execve ${argv.join(' ')}`,
      () => raw().execve(path, argv, envp));
  },
  kill(pid: number, signal: number): void {
    call('syscall', 'kill', { pid, signal }, `kill ${pid} ${signal}`, () => raw().kill(pid, signal));
  },
  socket(domain: number, type: number, protocol: number, summary: string): number {
    return call('syscall', 'socket', { domain, type, protocol }, summary, () => raw().socket(domain, type, protocol));
  },
  bind(fd: number, addr: Buffer, summary: string): void {
    call('syscall', 'bind', { fd }, summary, () => raw().bind(fd, addr));
  },
  connect(fd: number, addr: Buffer, summary: string): void {
    call('syscall', 'connect', { fd }, summary, () => raw().connect(fd, addr));
  },
  /** Hands `passFd` to the other end of a connected unix socket (SCM_RIGHTS), with `payload` as the data. */
  sendFd(fd: number, payload: Buffer, passFd: number, summary: string): void {
    call('syscall', 'sendmsg', { fd, passFd, payload: payload.toString() }, summary, () => raw().sendFd(fd, payload, passFd));
  },
  socketpair(summary: string): [number, number] {
    return call('syscall', 'socketpair', { domain: 'AF_UNIX', type: 'SOCK_STREAM|SOCK_CLOEXEC' }, summary, () => raw().socketpair());
  },
  /** Receives an fd handed over a unix socket (SCM_RIGHTS), and the message's data. */
  recvFd(fd: number, summary: string): { fd: number; payload: Buffer } {
    return call('syscall', 'recvmsg', { fd }, summary, () => raw().recvFd(fd));
  },
  pipe(summary: string): [number, number] {
    return call('syscall', 'pipe2', { flags: 'O_CLOEXEC' }, summary, () => raw().pipe());
  },
  dup2(oldfd: number, newfd: number, summary: string): void {
    call('syscall', 'dup3', { oldfd, newfd }, summary, () => raw().dup2(oldfd, newfd));
  },
  setsockoptInt(fd: number, level: number, name: number, value: number, summary: string): void {
    call('syscall', 'setsockopt', { fd, level, name, value }, summary, () => raw().setsockoptInt(fd, level, name, value));
  },
  /** Raw send/recv for netlink: the netlink layer traces each message with its decoded meaning. */
  sendtoRaw(fd: number, data: Buffer, addr: Buffer | null): number {
    return raw().sendto(fd, data, addr);
  },
  recvRaw(fd: number, buf: Buffer): number {
    return raw().recv(fd, buf);
  },
  close(fd: number): void {
    raw().close(fd);
  },
};

const MOUNT_ATTR_RDONLY = 0x1n;

export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;
export const BPF_F_ALLOW_MULTI = 2;

/** eBPF for the cgroup v2 device controller: load a BPF_PROG_TYPE_CGROUP_DEVICE program, attach it to a cgroup. */
export const bpf = {
  /** Returns the program's fd; a verifier refusal is a SysError whose message holds the verifier's log. */
  loadCgroupDeviceProgram(insns: Buffer): number {
    const count = insns.length / 8;
    return call('syscall', 'bpf', { cmd: 'BPF_PROG_LOAD', prog_type: 'BPF_PROG_TYPE_CGROUP_DEVICE', insn_cnt: count, license: 'GPL' },
      `bpf BPF_PROG_LOAD cgroup_device ${count} insns`,
      () => raw().bpfProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, insns, 'GPL', 'tslab_devices'));
  },
  /** Attaches with BPF_F_ALLOW_MULTI, like runc and systemd, so programs of parent cgroups keep running too. */
  attachCgroupDeviceProgram(cgroupDir: string, progFd: number): void {
    call('syscall', 'bpf',
      { cmd: 'BPF_PROG_ATTACH', target: cgroupDir, attach_bpf_fd: progFd, attach_type: 'BPF_CGROUP_DEVICE', flags: 'BPF_F_ALLOW_MULTI' },
      `bpf BPF_PROG_ATTACH ${cgroupDir} BPF_CGROUP_DEVICE`, () => {
        const dirFd = openSync(cgroupDir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
        try {
          raw().bpfProgAttach(dirFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
        } finally {
          closeSync(dirFd);
        }
      });
  },
};

/**
 * A write to a kernel interface file (cgroup, uid_map, sysctl, oom_score_adj): traced with what was
 * written, because those writes are as much a part of making a container as any syscall.
 */
export function writeKernelFile(path: string, value: string, step: string, summary?: string): void {
  tracer.step(
    { kind: 'write', step, args: { path, value }, summary: summary ?? `write ${path} = ${value.trim()}` },
    () => {
      try {
        writeFileSync(path, value);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const wrapped = new Error(`write ${value.trim()} to ${path} failed: ${e.code ?? e.message}`) as Error & { errno?: string };
        wrapped.errno = e.code;
        throw wrapped;
      }
    },
  );
}

export function readKernelFile(path: string): string {
  return readFileSync(path, 'utf8');
}
