// The OCI runtime spec's words for kernel things: namespace types, capability and rlimit names,
// mount options. The spec owns the names; src/runtime/sys/flags.ts maps each to its number or flag
// (and its tables are typed by these lists, so a name cannot be missing there).

/** linux.namespaces[].type */
export const NAMESPACE_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as const;
export type NamespaceType = (typeof NAMESPACE_TYPES)[number];

/** process.capabilities, in the kernel's order: a name's index is its capability number. */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN',
  'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** process.rlimits[].type */
export const RLIMIT_TYPES = [
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC',
  'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
] as const;
export type RlimitType = (typeof RLIMIT_TYPES)[number];

/** mounts[].options that are mount flags or propagation (anything else is filesystem data, e.g. mode=755). */
export const MOUNT_FLAG_OPTIONS = [
  'ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'sync', 'async', 'dirsync', 'remount', 'mand',
  'nomand', 'atime', 'noatime', 'diratime', 'nodiratime', 'bind', 'rbind', 'relatime', 'norelatime', 'strictatime',
  'nostrictatime', 'nosymfollow', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable',
  'runbindable',
] as const;
export type MountFlagOption = (typeof MOUNT_FLAG_OPTIONS)[number];

/** mounts[].options the spec defines beyond flags (recursive read-only, id-mapped mounts, tmpfs copy-up). */
export const MOUNT_EXTRA_OPTIONS = ['newinstance', 'rro', 'rrw', 'idmap', 'ridmap', 'tmpcopyup'] as const;

export function isNamespaceType(type: string): type is NamespaceType {
  return (NAMESPACE_TYPES as readonly string[]).includes(type);
}

export function isCapability(name: string): name is Capability {
  return (CAPABILITIES as readonly string[]).includes(name);
}

export function isRlimitType(type: string): type is RlimitType {
  return (RLIMIT_TYPES as readonly string[]).includes(type);
}
