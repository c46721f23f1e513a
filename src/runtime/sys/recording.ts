// A recording backend for unit tests: no root, no kernel; every call is remembered and succeeds
// unless a failure was queued for it.
import { SysError } from './error.js';
import type { CapSets, Rlimit, SysBackend } from './backend.js';

export interface RecordedCall {
  call: string;
  args: unknown[];
}

export class RecordingBackend implements SysBackend {
  readonly calls: RecordedCall[] = [];
  private readonly failures = new Map<string, string>();
  private caps: CapSets = { effective: 0n, permitted: 0n, inheritable: 0n };

  /** The next call of `call` throws a SysError with this errno. */
  failNext(call: string, errno: string): void {
    this.failures.set(call, errno);
  }

  private record(call: string, ...args: unknown[]): void {
    this.calls.push({ call, args });
    const errno = this.failures.get(call);
    if (errno) {
      this.failures.delete(call);
      throw new SysError(call, {}, errno);
    }
  }

  unshare(flags: number): void { this.record('unshare', flags); }
  setns(fd: number, nstype: number): void { this.record('setns', fd, nstype); }
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
    this.record('mount', source, target, fstype, flags, data);
  }
  umount2(target: string, flags: number): void { this.record('umount2', target, flags); }
  pivotRoot(newRoot: string, putOld: string): void { this.record('pivot_root', newRoot, putOld); }
  chroot(path: string): void { this.record('chroot', path); }
  chdir(path: string): void { this.record('chdir', path); }
  sethostname(name: string): void { this.record('sethostname', name); }
  setdomainname(name: string): void { this.record('setdomainname', name); }
  mknod(path: string, mode: number, major: number, minor: number): void { this.record('mknod', path, mode, major, minor); }
  mkfifo(path: string, mode: number): void { this.record('mkfifo', path, mode); }
  prctl(option: number, a2: number, a3: number, a4: number, a5: number): number {
    this.record('prctl', option, a2, a3, a4, a5);
    return 0;
  }
  capget(): CapSets { this.record('capget'); return this.caps; }
  capset(sets: CapSets): void { this.record('capset', sets); this.caps = sets; }
  setresuid(r: number, e: number, s: number): void { this.record('setresuid', r, e, s); }
  setresgid(r: number, e: number, s: number): void { this.record('setresgid', r, e, s); }
  setgroups(gids: number[]): void { this.record('setgroups', gids); }
  setresgidThread(r: number, e: number, s: number): void { this.record('setresgid_thread', r, e, s); }
  openTreeClone(path: string): number { this.record('open_tree', path); return 105; }
  mountSetattr(fd: number, attrSet: bigint): void { this.record('mount_setattr', fd, attrSet); }
  prlimit(resource: number, limit: Rlimit): void { this.record('prlimit', resource, limit); }
  getrlimit(resource: number): Rlimit { this.record('getrlimit', resource); return { soft: 1024n, hard: 1024n }; }
  closeRange(first: number, last: number, flags: number): void { this.record('close_range', first, last, flags); }
  clearCloexec(fd: number): void { this.record('clear_cloexec', fd); }
  resetSignal(signal: number): void { this.record('reset_signal', signal); }
  unblockAllSignals(): void { this.record('unblock_signals'); }
  setsid(): number { this.record('setsid'); return 1; }
  ioctlSetControllingTty(fd: number): void { this.record('ioctl_tiocsctty', fd); }
  ioctlBuffer(fd: number, request: number, buf: Buffer): void { this.record('ioctl', fd, request, buf.length); }
  umask(mask: number): number { this.record('umask', mask); return 0o022; }
  execve(path: string, argv: string[], envp: string[]): never {
    this.record('execve', path, argv, envp);
    throw new Error('RecordingBackend: execve does not return in a real process');
  }
  kill(pid: number, signal: number): void { this.record('kill', pid, signal); }
  socket(domain: number, type: number, protocol: number): number { this.record('socket', domain, type, protocol); return 100; }
  bind(fd: number, addr: Buffer): void { this.record('bind', fd, addr); }
  connect(fd: number, addr: Buffer): void { this.record('connect', fd, addr); }
  socketpair(): [number, number] { this.record('socketpair'); return [102, 103]; }
  recvFd(fd: number): { fd: number; payload: Buffer } { this.record('recvmsg', fd); return { fd: 104, payload: Buffer.alloc(0) }; }
  pipe(): [number, number] { this.record('pipe2'); return [106, 107]; }
  dup2(oldfd: number, newfd: number): void { this.record('dup3', oldfd, newfd); }
  sendFd(fd: number, payload: Buffer, passFd: number): number { this.record('sendmsg', fd, payload, passFd); return payload.length; }
  setsockoptInt(fd: number, level: number, name: number, value: number): void { this.record('setsockopt', fd, level, name, value); }
  sendto(fd: number, data: Buffer, addr: Buffer | null): number { this.record('sendto', fd, data, addr); return data.length; }
  recv(fd: number, buf: Buffer): number { this.record('recv', fd, buf.length); return 0; }
  close(fd: number): void { this.record('close', fd); }
  bpfProgLoad(progType: number, insns: Buffer, license: string, name: string): number {
    this.record('bpf_prog_load', progType, Buffer.from(insns), license, name);
    return 101;
  }
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): void {
    this.record('bpf_prog_attach', targetFd, progFd, attachType, flags);
  }
}
