// The real kernel, through koffi. Every function here is a thin typed binding; nothing else in tslab
// calls libc.
import { koffi } from './koffi.js';
import { errnoName } from './errno.js';
import { AF_UNIX, SOCK_CLOEXEC, SOCK_STREAM } from './flags.js';
import { SysError } from './error.js';
import type { CapSets, Rlimit, SysBackend } from './backend.js';
import type { ArgValue } from '../../tracer/event.js';

const SYS_pivot_root = 155; // x86_64
const SYS_capget = 125;
const SYS_capset = 126;
const SYS_pivot_root_arm64 = 41;
const SYS_capget_arm64 = 90;
const SYS_capset_arm64 = 91;
const SYS_bpf = 321;
const SYS_bpf_arm64 = 280;
const SYS_setresgid = 119;
const SYS_setresgid_arm64 = 149;
// the mount API's numbers are the same on every architecture
const SYS_open_tree = 428;
const SYS_mount_setattr = 442;
const OPEN_TREE_CLONE = 1;
const OPEN_TREE_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
/** struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd } */
const MOUNT_ATTR_SIZE = 32;
const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
/** Our union bpf_attr buffer: large enough for the fields we set; the kernel accepts a shorter union when the rest would be zero. */
const BPF_ATTR_SIZE = 128;
const BPF_LOG_SIZE = 256 * 1024;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
const TIOCSCTTY = 0x540e;
const SIG_SETMASK = 2;

function syscallNumbers(): { pivot: number; capget: number; capset: number; bpf: number; setresgid: number } {
  if (process.arch === 'arm64') {
    return { pivot: SYS_pivot_root_arm64, capget: SYS_capget_arm64, capset: SYS_capset_arm64, bpf: SYS_bpf_arm64, setresgid: SYS_setresgid_arm64 };
  }
  return { pivot: SYS_pivot_root, capget: SYS_capget, capset: SYS_capset, bpf: SYS_bpf, setresgid: SYS_setresgid };
}

function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n);
}

// koffi's function objects are untyped; each binding below gives them a signature.
type Fn = (...args: unknown[]) => number;

const SOL_SOCKET = 1;
const MSG_CMSG_CLOEXEC = 0x40000000;
const SCM_RIGHTS = 1;
const MSG_NOSIGNAL = 0x4000;

export function createLinuxBackend(): SysBackend {
  const k = koffi();
  const libc = k.load('libc.so.6');
  // Declared on first use: declaring all of them costs a process ~3 ms at start, and the CLI and
  // the init each use a handful.
  const f = (proto: string): Fn => {
    let declared: Fn | undefined;
    return ((...args: Parameters<Fn>) => (declared ??= libc.func(proto) as unknown as Fn)(...args)) as Fn;
  };
  const nr = syscallNumbers();

  const c = {
    unshare: f('int unshare(int flags)'),
    setns: f('int setns(int fd, int nstype)'),
    mount: f('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: f('int umount2(const char *target, int flags)'),
    syscall: f('long syscall(long number, ...)'),
    chroot: f('int chroot(const char *path)'),
    chdir: f('int chdir(const char *path)'),
    sethostname: f('int sethostname(const char *name, size_t len)'),
    setdomainname: f('int setdomainname(const char *name, size_t len)'),
    mknod: f('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    mkfifo: f('int mkfifo(const char *path, uint32_t mode)'),
    prctl: f('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
    setresuid: f('int setresuid(uint32_t r, uint32_t e, uint32_t s)'),
    setresgid: f('int setresgid(uint32_t r, uint32_t e, uint32_t s)'),
    setgroups: f('int setgroups(size_t size, void *list)'),
    prlimit: f('int prlimit(int pid, int resource, void *newLimit, void *oldLimit)'),
    closeRange: f('int close_range(unsigned int first, unsigned int last, int flags)'),
    fcntl: f('int fcntl(int fd, int cmd, int arg)'),
    signal: f('void *signal(int sig, void *handler)'),
    sigprocmask: f('int sigprocmask(int how, void *set, void *old)'),
    setsid: f('int setsid(void)'),
    ioctl: f('int ioctl(int fd, unsigned long request, unsigned long arg)'),
    ioctlPtr: f('int ioctl(int fd, unsigned long request, void *arg)'),
    umask: f('uint32_t umask(uint32_t mask)'),
    execve: f('int execve(const char *path, const char **argv, const char **envp)'),
    kill: f('int kill(int pid, int sig)'),
    socket: f('int socket(int domain, int type, int protocol)'),
    bind: f('int bind(int fd, void *addr, uint32_t len)'),
    connect: f('int connect(int fd, void *addr, uint32_t len)'),
    sendmsg: f('long sendmsg(int fd, void *msg, int flags)'),
    recvmsg: f('long recvmsg(int fd, void *msg, int flags)'),
    socketpair: f('int socketpair(int domain, int type, int protocol, void *sv)'),
    dup3: f('int dup3(int oldfd, int newfd, int flags)'),
    pipe2: f('int pipe2(void *fds, int flags)'),
    setsockopt: f('int setsockopt(int fd, int level, int name, void *value, uint32_t len)'),
    sendto: f('long sendto(int fd, void *buf, size_t len, int flags, void *addr, uint32_t alen)'),
    recv: f('long recv(int fd, void *buf, size_t len, int flags)'),
    close: f('int close(int fd)'),
  };

  const check = (ret: number, call: string, args: Record<string, ArgValue>): number => {
    if (ret < 0) throw new SysError(call, args, errnoName(k.errno()));
    return ret;
  };

  // union bpf_attr for BPF_PROG_LOAD: prog_type@0 insn_cnt@4 insns@8 license@16 log_level@24 log_size@28
  // log_buf@32 prog_name@48. Pointers are the addresses of Buffers that stay referenced during the call.
  const bpfProgLoadOnce = (progType: number, insns: Buffer, license: Buffer, name: string, log: Buffer | null): number => {
    const attr = Buffer.alloc(BPF_ATTR_SIZE);
    attr.writeUInt32LE(progType, 0);
    attr.writeUInt32LE(insns.length / 8, 4);
    attr.writeBigUInt64LE(k.address(insns), 8);
    attr.writeBigUInt64LE(k.address(license), 16);
    if (log) {
      attr.writeUInt32LE(1, 24);
      attr.writeUInt32LE(log.length, 28);
      attr.writeBigUInt64LE(k.address(log), 32);
    }
    attr.write(name.slice(0, 15), 48, 'latin1');
    return c.syscall(nr.bpf, 'int', BPF_PROG_LOAD, 'void *', attr, 'uint', BPF_ATTR_SIZE);
  };

  return {
    bpfProgLoad: (progType, insns, license, name) => {
      const licenseBuf = Buffer.from(`${license}\0`, 'latin1');
      const fd = bpfProgLoadOnce(progType, insns, licenseBuf, name, null);
      if (fd >= 0) return fd;
      const errno = errnoName(k.errno());
      // Load again with a log buffer: the verifier says why it refused (what libbpf does too).
      const log = Buffer.alloc(BPF_LOG_SIZE);
      const again = bpfProgLoadOnce(progType, insns, licenseBuf, name, log);
      if (again >= 0) return again;
      const error = new SysError('bpf', { cmd: 'BPF_PROG_LOAD', prog_type: progType, insns: insns.length / 8 }, errno);
      const text = log.subarray(0, Math.max(0, log.indexOf(0))).toString('utf8').trim();
      if (text) error.message += `\nverifier log:\n${text}`;
      throw error;
    },
    bpfProgAttach: (targetFd, progFd, attachType, flags) => {
      // union bpf_attr for BPF_PROG_ATTACH: target_fd@0 attach_bpf_fd@4 attach_type@8 attach_flags@12
      const attr = Buffer.alloc(BPF_ATTR_SIZE);
      attr.writeUInt32LE(targetFd, 0);
      attr.writeUInt32LE(progFd, 4);
      attr.writeUInt32LE(attachType, 8);
      attr.writeUInt32LE(flags, 12);
      check(c.syscall(nr.bpf, 'int', BPF_PROG_ATTACH, 'void *', attr, 'uint', BPF_ATTR_SIZE), 'bpf',
        { cmd: 'BPF_PROG_ATTACH', target_fd: targetFd, attach_bpf_fd: progFd, attach_type: attachType, flags });
    },
    unshare: (flags) => void check(c.unshare(flags), 'unshare', { flags }),
    setns: (fd, nstype) => void check(c.setns(fd, nstype), 'setns', { fd, nstype }),
    mount: (source, target, fstype, flags, data) =>
      void check(c.mount(source, target, fstype, flags, data), 'mount', { source, target, fstype, flags, data }),
    umount2: (target, flags) => void check(c.umount2(target, flags), 'umount2', { target, flags }),
    pivotRoot: (newRoot, putOld) =>
      void check(c.syscall(nr.pivot, 'str', newRoot, 'str', putOld), 'pivot_root', { newRoot, putOld }),
    chroot: (path) => void check(c.chroot(path), 'chroot', { path }),
    chdir: (path) => void check(c.chdir(path), 'chdir', { path }),
    sethostname: (name) => void check(c.sethostname(name, Buffer.byteLength(name)), 'sethostname', { name }),
    setdomainname: (name) => void check(c.setdomainname(name, Buffer.byteLength(name)), 'setdomainname', { name }),
    mknod: (path, mode, major, minor) => void check(c.mknod(path, mode, makedev(major, minor)), 'mknod', { path, mode, major, minor }),
    mkfifo: (path, mode) => void check(c.mkfifo(path, mode), 'mkfifo', { path, mode }),
    prctl: (option, a2, a3, a4, a5) => check(c.prctl(option, a2, a3, a4, a5), 'prctl', { option, a2 }),
    capget: () => {
      const header = Buffer.alloc(8);
      header.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
      const data = Buffer.alloc(24);
      check(c.syscall(nr.capget, 'void *', header, 'void *', data), 'capget', {});
      const word = (i: number): bigint => BigInt(data.readUInt32LE(i)) | (BigInt(data.readUInt32LE(i + 12)) << 32n);
      return { effective: word(0), permitted: word(4), inheritable: word(8) };
    },
    capset: (sets: CapSets) => {
      const header = Buffer.alloc(8);
      header.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
      const data = Buffer.alloc(24);
      const put = (v: bigint, off: number): void => {
        data.writeUInt32LE(Number(v & 0xffffffffn), off);
        data.writeUInt32LE(Number((v >> 32n) & 0xffffffffn), off + 12);
      };
      put(sets.effective, 0);
      put(sets.permitted, 4);
      put(sets.inheritable, 8);
      check(c.syscall(nr.capset, 'void *', header, 'void *', data), 'capset', {});
    },
    setresuid: (r, e, s) => void check(c.setresuid(r, e, s), 'setresuid', { r, e, s }),
    setresgid: (r, e, s) => void check(c.setresgid(r, e, s), 'setresgid', { r, e, s }),
    setresgidThread: (r, e, s) =>
      void check(c.syscall(nr.setresgid, 'int', r, 'int', e, 'int', s), 'setresgid', { r, e, s, thread: 'only' }),
    openTreeClone: (path) => check(c.syscall(SYS_open_tree, 'int', AT_FDCWD, 'str', path, 'uint', OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC),
      'open_tree', { path }),
    mountSetattr: (fd, attrSet) => {
      const attr = Buffer.alloc(MOUNT_ATTR_SIZE);
      attr.writeBigUInt64LE(attrSet, 0);
      check(c.syscall(SYS_mount_setattr, 'int', fd, 'str', '', 'uint', AT_EMPTY_PATH, 'void *', attr, 'ulong', MOUNT_ATTR_SIZE),
        'mount_setattr', { fd });
    },
    setgroups: (gids) => {
      const list = Buffer.alloc(Math.max(4, gids.length * 4));
      gids.forEach((g, i) => list.writeUInt32LE(g, i * 4));
      check(c.setgroups(gids.length, list), 'setgroups', { gids });
    },
    prlimit: (resource, limit: Rlimit) => {
      const buf = Buffer.alloc(16);
      buf.writeBigUInt64LE(limit.soft, 0);
      buf.writeBigUInt64LE(limit.hard, 8);
      check(c.prlimit(0, resource, buf, null), 'prlimit', { resource });
    },
    getrlimit: (resource) => {
      const buf = Buffer.alloc(16);
      check(c.prlimit(0, resource, null, buf), 'prlimit', { resource });
      return { soft: buf.readBigUInt64LE(0), hard: buf.readBigUInt64LE(8) };
    },
    closeRange: (first, last, flags) => void check(c.closeRange(first, last, flags), 'close_range', { first, last, flags }),
    clearCloexec: (fd) => {
      const F_GETFD = 1;
      const F_SETFD = 2;
      const current = check(c.fcntl(fd, F_GETFD, 0), 'fcntl', { fd, cmd: 'F_GETFD' });
      check(c.fcntl(fd, F_SETFD, current & ~1), 'fcntl', { fd, cmd: 'F_SETFD' });
    },
    resetSignal: (signal) => void c.signal(signal, null),
    unblockAllSignals: () => void check(c.sigprocmask(SIG_SETMASK, Buffer.alloc(128), null), 'sigprocmask', {}),
    setsid: () => check(c.setsid(), 'setsid', {}),
    ioctlBuffer: (fd, request, buf) => void check(c.ioctlPtr(fd, request, buf), 'ioctl', { fd, request: `0x${request.toString(16)}` }),
    ioctlSetControllingTty: (fd) => void check(c.ioctl(fd, TIOCSCTTY, 0), 'ioctl', { fd, request: 'TIOCSCTTY' }),
    umask: (mask) => c.umask(mask),
    execve: (path, argv, envp) => {
      c.execve(path, [...argv, null], [...envp, null]);
      throw new SysError('execve', { path, argv }, errnoName(k.errno()));
    },
    kill: (pid, signal) => void check(c.kill(pid, signal), 'kill', { pid, signal }),
    socket: (domain, type, protocol) => check(c.socket(domain, type, protocol), 'socket', { domain, type, protocol }),
    bind: (fd, addr) => void check(c.bind(fd, addr, addr.length), 'bind', { fd }),
    connect: (fd, addr) => void check(c.connect(fd, addr, addr.length), 'connect', { fd }),
    sendFd: (fd, payload, passFd) => {
      // struct iovec { base, len } and struct msghdr { name, namelen, iov, iovlen, control, controllen,
      // flags } (LP64 layout); one cmsghdr { len, level = SOL_SOCKET, type = SCM_RIGHTS } + an int fd.
      const iov = Buffer.alloc(16);
      iov.writeBigUInt64LE(k.address(payload), 0);
      iov.writeBigUInt64LE(BigInt(payload.length), 8);
      const control = Buffer.alloc(24); // CMSG_SPACE(sizeof(int))
      control.writeBigUInt64LE(20n, 0); // CMSG_LEN(sizeof(int))
      control.writeInt32LE(SOL_SOCKET, 8);
      control.writeInt32LE(SCM_RIGHTS, 12);
      control.writeInt32LE(passFd, 16);
      const msg = Buffer.alloc(56);
      msg.writeBigUInt64LE(k.address(iov), 16);
      msg.writeBigUInt64LE(1n, 24);
      msg.writeBigUInt64LE(k.address(control), 32);
      msg.writeBigUInt64LE(BigInt(control.length), 40);
      return check(c.sendmsg(fd, msg, MSG_NOSIGNAL), 'sendmsg', { fd, passFd });
    },
    socketpair: () => {
      const sv = Buffer.alloc(8);
      check(c.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 'socketpair', {});
      return [sv.readInt32LE(0), sv.readInt32LE(4)];
    },
    recvFd: (fd) => {
      const payload = Buffer.alloc(4096);
      const iov = Buffer.alloc(16);
      iov.writeBigUInt64LE(k.address(payload), 0);
      iov.writeBigUInt64LE(BigInt(payload.length), 8);
      const control = Buffer.alloc(24);
      const msg = Buffer.alloc(56);
      msg.writeBigUInt64LE(k.address(iov), 16);
      msg.writeBigUInt64LE(1n, 24);
      msg.writeBigUInt64LE(k.address(control), 32);
      msg.writeBigUInt64LE(BigInt(control.length), 40);
      const n = check(c.recvmsg(fd, msg, MSG_CMSG_CLOEXEC), 'recvmsg', { fd });
      const controllen = Number(msg.readBigUInt64LE(40));
      if (controllen < 20 || control.readInt32LE(8) !== SOL_SOCKET || control.readInt32LE(12) !== SCM_RIGHTS) {
        throw new SysError('recvmsg', { fd }, 'EBADMSG');
      }
      return { fd: control.readInt32LE(16), payload: payload.subarray(0, n) };
    },
    pipe: () => {
      const fds = Buffer.alloc(8);
      check(c.pipe2(fds, 0o2000000 /* O_CLOEXEC */), 'pipe2', {});
      return [fds.readInt32LE(0), fds.readInt32LE(4)];
    },
    dup2: (oldfd, newfd) => void check(c.dup3(oldfd, newfd, 0), 'dup3', { oldfd, newfd }),
    setsockoptInt: (fd, level, name, value) => {
      const v = Buffer.alloc(4);
      v.writeInt32LE(value, 0);
      check(c.setsockopt(fd, level, name, v, 4), 'setsockopt', { fd, level, name, value });
    },
    sendto: (fd, data, addr) => check(c.sendto(fd, data, data.length, 0, addr, addr ? addr.length : 0), 'sendto', { fd, bytes: data.length }),
    recv: (fd, buf) => check(c.recv(fd, buf, buf.length, 0), 'recv', { fd }),
    close: (fd) => void check(c.close(fd), 'close', { fd }),
  };
}
