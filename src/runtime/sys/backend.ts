// The raw system-call layer. Two implementations: linux.ts (koffi, the real kernel) and recording.ts
// (for unit tests without root). Methods throw SysError; the traced facade in index.ts wraps them.

export interface Rlimit {
  soft: bigint;
  hard: bigint;
}

export interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

export interface SysBackend {
  unshare(flags: number): void;
  setns(fd: number, nstype: number): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  chroot(path: string): void;
  chdir(path: string): void;
  sethostname(name: string): void;
  setdomainname(name: string): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  mkfifo(path: string, mode: number): void;
  prctl(option: number, arg2: number, arg3: number, arg4: number, arg5: number): number;
  capget(): CapSets;
  capset(sets: CapSets): void;
  setresuid(r: number, e: number, s: number): void;
  setresgid(r: number, e: number, s: number): void;
  setgroups(gids: number[]): void;
  /** setresgid as a raw syscall: the calling thread only (glibc's wrapper changes every thread) */
  setresgidThread(r: number, e: number, s: number): void;
  /** open_tree(OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC): a detached bind mount of `path`, as an fd */
  openTreeClone(path: string): number;
  /** mount_setattr(fd, "", AT_EMPTY_PATH) setting `attrSet` (MOUNT_ATTR_*) on the mount fd refers to */
  mountSetattr(fd: number, attrSet: bigint): void;
  prlimit(resource: number, limit: Rlimit): void;
  getrlimit(resource: number): Rlimit;
  closeRange(first: number, last: number, flags: number): void;
  clearCloexec(fd: number): void;
  resetSignal(signal: number): void;
  unblockAllSignals(): void;
  setsid(): number;
  ioctlSetControllingTty(fd: number): void;
  /** ioctl with a pointer argument (in/out buffer): pty number, unlock, window size */
  ioctlBuffer(fd: number, request: number, buf: Buffer): void;
  umask(mask: number): number;
  execve(path: string, argv: string[], envp: string[]): never;
  kill(pid: number, signal: number): void;
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer): void;
  connect(fd: number, addr: Buffer): void;
  /** socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC): two connected ends */
  socketpair(): [number, number];
  /** recvmsg of one SCM_RIGHTS fd: returns it with the message's data */
  recvFd(fd: number): { fd: number; payload: Buffer };
  /** pipe2(O_CLOEXEC): [read end, write end] */
  pipe(): [number, number];
  /** dup3(oldfd, newfd, 0): newfd becomes a copy of oldfd (without close-on-exec) */
  dup2(oldfd: number, newfd: number): void;
  /** sendmsg with `payload` as the data and `passFd` as SCM_RIGHTS ancillary data (an fd handed over a unix socket) */
  sendFd(fd: number, payload: Buffer, passFd: number): number;
  /** setsockopt with an int option value (netlink's NETLINK_EXT_ACK and the like) */
  setsockoptInt(fd: number, level: number, name: number, value: number): void;
  sendto(fd: number, data: Buffer, addr: Buffer | null): number;
  recv(fd: number, buf: Buffer): number;
  close(fd: number): void;
  /** bpf(BPF_PROG_LOAD): loads a program of `progType`, returns its fd; a failure carries the verifier's log. */
  bpfProgLoad(progType: number, insns: Buffer, license: string, name: string): number;
  /** bpf(BPF_PROG_ATTACH): attaches program `progFd` to `targetFd` (a cgroup directory fd). */
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): void;
}
