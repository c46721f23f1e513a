// Docker's default seccomp profile (moby's profiles/seccomp/default.json), as data: what
// `tslab container run` gives a container unless told --security-opt seccomp=unconfined|FILE or
// --privileged. An allowlist: everything else fails with EPERM. What it refuses and why matters
// more than the list: keyrings are not namespaced (add_key, keyctl, request_key: never), and
// mount, unshare, setns, clone with CLONE_NEW*, bpf, perf_event_open… need CAP_SYS_ADMIN, which
// a default container does not have. A few syscalls follow a capability the container has
// (chroot with CAP_SYS_CHROOT, kcmp with CAP_SYS_PTRACE…), as docker resolves them.
import type { SeccompProfile, SeccompSyscall } from '../runtime/sys/seccomp.js';

const EPERM = 1;
const ENOSYS = 38;
/** CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** Allowed for every container (docker allows ptrace and process_vm_* on kernels from 4.8 on). */
const ALLOWED = [
    '_llseek', '_newselect', 'accept', 'accept4', 'access', 'adjtimex', 'alarm', 'bind', 'brk', 'capget', 'capset',
    'chdir', 'chmod', 'chown', 'chown32', 'clock_adjtime', 'clock_adjtime64', 'clock_getres', 'clock_getres_time64',
    'clock_gettime', 'clock_gettime64', 'clock_nanosleep', 'clock_nanosleep_time64', 'close', 'close_range',
    'connect', 'copy_file_range', 'creat', 'dup', 'dup2', 'dup3', 'epoll_create', 'epoll_create1', 'epoll_ctl',
    'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait', 'epoll_wait_old', 'eventfd', 'eventfd2', 'execve',
    'execveat', 'exit', 'exit_group', 'faccessat', 'faccessat2', 'fadvise64', 'fadvise64_64', 'fallocate',
    'fanotify_mark', 'fchdir', 'fchmod', 'fchmodat', 'fchown', 'fchown32', 'fchownat', 'fcntl', 'fcntl64',
    'fdatasync', 'fgetxattr', 'flistxattr', 'flock', 'fork', 'fremovexattr', 'fsetxattr', 'fstat', 'fstat64',
    'fstatat64', 'fstatfs', 'fstatfs64', 'fsync', 'ftruncate', 'ftruncate64', 'futex', 'futex_time64', 'futimesat',
    'get_robust_list', 'get_thread_area', 'getcpu', 'getcwd', 'getdents', 'getdents64', 'getegid', 'getegid32',
    'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getgroups', 'getgroups32', 'getitimer', 'getpeername', 'getpgid',
    'getpgrp', 'getpid', 'getppid', 'getpriority', 'getrandom', 'getresgid', 'getresgid32', 'getresuid',
    'getresuid32', 'getrlimit', 'getrusage', 'getsid', 'getsockname', 'getsockopt', 'gettid', 'gettimeofday',
    'getuid', 'getuid32', 'getxattr', 'inotify_add_watch', 'inotify_init', 'inotify_init1', 'inotify_rm_watch',
    'io_cancel', 'io_destroy', 'io_getevents', 'io_setup', 'io_submit', 'ioctl', 'ioprio_get', 'ioprio_set', 'ipc',
    'kill', 'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'lchown', 'lchown32',
    'lgetxattr', 'link', 'linkat', 'listen', 'listxattr', 'llistxattr', 'lremovexattr', 'lseek', 'lsetxattr',
    'lstat', 'lstat64', 'madvise', 'membarrier', 'memfd_create', 'memfd_secret', 'mincore', 'mkdir', 'mkdirat',
    'mknod', 'mknodat', 'mlock', 'mlock2', 'mlockall', 'mmap', 'mmap2', 'mprotect', 'mq_getsetattr', 'mq_notify',
    'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64', 'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink',
    'mremap', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'msync', 'munlock', 'munlockall', 'munmap', 'nanosleep',
    'newfstatat', 'open', 'openat', 'openat2', 'pause', 'pidfd_open', 'pidfd_send_signal', 'pipe', 'pipe2',
    'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'poll', 'ppoll', 'ppoll_time64', 'prctl', 'pread64', 'preadv',
    'preadv2', 'prlimit64', 'process_mrelease', 'pselect6', 'pselect6_time64', 'pwrite64', 'pwritev', 'pwritev2',
    'read', 'readahead', 'readdir', 'readlink', 'readlinkat', 'readv', 'recv', 'recvfrom', 'recvmmsg',
    'recvmmsg_time64', 'recvmsg', 'remap_file_pages', 'removexattr', 'rename', 'renameat', 'renameat2',
    'restart_syscall', 'rmdir', 'rseq', 'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo',
    'rt_sigreturn', 'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo',
    'sched_get_priority_max', 'sched_get_priority_min', 'sched_getaffinity', 'sched_getattr', 'sched_getparam',
    'sched_getscheduler', 'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_setaffinity',
    'sched_setattr', 'sched_setparam', 'sched_setscheduler', 'sched_yield', 'seccomp', 'select', 'semctl', 'semget',
    'semop', 'semtimedop', 'semtimedop_time64', 'send', 'sendfile', 'sendfile64', 'sendmmsg', 'sendmsg', 'sendto',
    'set_robust_list', 'set_thread_area', 'set_tid_address', 'setfsgid', 'setfsgid32', 'setfsuid', 'setfsuid32',
    'setgid', 'setgid32', 'setgroups', 'setgroups32', 'setitimer', 'setpgid', 'setpriority', 'setregid',
    'setregid32', 'setresgid', 'setresgid32', 'setresuid', 'setresuid32', 'setreuid', 'setreuid32', 'setrlimit',
    'setsid', 'setsockopt', 'setuid', 'setuid32', 'setxattr', 'shmat', 'shmctl', 'shmdt', 'shmget', 'shutdown',
    'sigaction', 'sigaltstack', 'signal', 'signalfd', 'signalfd4', 'sigpending', 'sigprocmask', 'sigreturn',
    'sigsuspend', 'socket', 'socketcall', 'socketpair', 'splice', 'stat', 'stat64', 'statfs', 'statfs64', 'statx',
    'symlink', 'symlinkat', 'sync', 'sync_file_range', 'syncfs', 'syscall', 'sysinfo', 'tee', 'tgkill', 'time',
    'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64', 'timer_settime',
    'timer_settime64', 'timerfd', 'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime',
    'timerfd_settime64', 'times', 'tkill', 'truncate', 'truncate64', 'ugetrlimit', 'umask', 'uname', 'unlink',
    'unlinkat', 'utime', 'utimensat', 'utimensat_time64', 'utimes', 'vfork', 'wait4', 'waitid', 'waitpid', 'write',
    'writev',
    'ptrace', 'process_vm_readv', 'process_vm_writev',
];

interface Rule extends SeccompSyscall {
  /** only when the container has all these capabilities */
  ifCaps?: string[];
  /** only when the container lacks this capability */
  unlessCap?: string;
  /** only on these Node architectures (process.arch) */
  arches?: string[];
}

const RULES: Rule[] = [
  { names: ALLOWED, action: 'SCMP_ACT_ALLOW' },
  // personality: only the harmless personas (PER_LINUX, PER_LINUX32, the UNAME26 variants, query)
  ...[0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map((value): Rule => ({
    names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }],
  })),
  { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', arches: ['x64'] },
  { names: ['modify_ldt'], action: 'SCMP_ACT_ALLOW', arches: ['x64', 'ia32'] },
  { names: ['arm_fadvise64_64', 'arm_sync_file_range', 'breakpoint', 'cacheflush', 'set_tls', 'sync_file_range2'], action: 'SCMP_ACT_ALLOW', arches: ['arm', 'arm64'] },
  { names: ['riscv_flush_icache'], action: 'SCMP_ACT_ALLOW', arches: ['riscv64'] },
  // clone without namespace flags; clone3's flags are in memory, out of a filter's reach: ENOSYS
  // makes glibc fall back to clone
  { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], unlessCap: 'CAP_SYS_ADMIN' },
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, unlessCap: 'CAP_SYS_ADMIN' },
  { names: ['open_by_handle_at', 'name_to_handle_at'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_DAC_READ_SEARCH'] },
  {
    names: ['bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount', 'mount_setattr',
      'move_mount', 'open_tree', 'perf_event_open', 'pivot_root', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog',
      'umount', 'umount2', 'unshare'],
    action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_SYS_ADMIN'],
  },
  { names: ['reboot'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_SYS_BOOT'] },
  { names: ['chroot'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_SYS_CHROOT'] },
  { names: ['delete_module', 'init_module', 'finit_module'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_SYS_MODULE'] },
  { names: ['acct'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_SYS_PACCT'] },
  { names: ['kcmp', 'pidfd_getfd', 'process_madvise'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_SYS_PTRACE'] },
  { names: ['iopl', 'ioperm'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_SYS_RAWIO'] },
  { names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_SYS_TIME'] },
  { names: ['vhangup'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_SYS_TTY_CONFIG'] },
  { names: ['get_mempolicy', 'mbind', 'set_mempolicy'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_SYS_NICE'] },
  { names: ['syslog'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_SYSLOG'] },
  { names: ['bpf'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_BPF'] },
  { names: ['perf_event_open'], action: 'SCMP_ACT_ALLOW', ifCaps: ['CAP_PERFMON'] },
];

const ARCHITECTURES: Record<string, string[]> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  riscv64: ['SCMP_ARCH_RISCV64'],
  s390x: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
  ppc64: ['SCMP_ARCH_PPC64LE'],
};

/** The profile for a container with these (bounding) capabilities, resolved as docker does. */
export function defaultSeccompProfile(capabilities: string[], arch: string = process.arch): SeccompProfile {
  const has = new Set(capabilities);
  const applies = (r: Rule): boolean => (!r.ifCaps || r.ifCaps.every((c) => has.has(c)))
    && (!r.unlessCap || !has.has(r.unlessCap)) && (!r.arches || r.arches.includes(arch));
  const syscalls: SeccompSyscall[] = RULES.filter(applies).map(({ ifCaps: _i, unlessCap: _u, arches: _a, ...rule }) => rule);
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: EPERM, architectures: ARCHITECTURES[arch] ?? [], syscalls };
}
