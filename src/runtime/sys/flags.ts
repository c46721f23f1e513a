// Flag words and their names, so the trace says CLONE_NEWPID|CLONE_NEWNS instead of 0x20020000, and
// the numbers behind the OCI spec's words (src/oci/vocabulary.ts owns the words).
import { CAPABILITIES, type MountFlagOption, type NamespaceType, type RlimitType } from '../../oci/vocabulary.js';

export { CAPABILITIES, type NamespaceType } from '../../oci/vocabulary.js';

/** Socket domains and types (<sys/socket.h>): netlink for the network, AF_UNIX for consoles. */
export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_NETLINK = 16;
export const SOCK_STREAM = 1;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;

export const CLONE = {
  CLONE_NEWTIME: 0x00000080,
  CLONE_FS: 0x00000200,
  CLONE_FILES: 0x00000400,
  CLONE_NEWNS: 0x00020000,
  CLONE_SYSVSEM: 0x00040000,
  CLONE_NEWCGROUP: 0x02000000,
  CLONE_NEWUTS: 0x04000000,
  CLONE_NEWIPC: 0x08000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
} as const;

export const MS = {
  MS_RDONLY: 1,
  MS_NOSUID: 2,
  MS_NODEV: 4,
  MS_NOEXEC: 8,
  MS_SYNCHRONOUS: 16,
  MS_REMOUNT: 32,
  MS_MANDLOCK: 64,
  MS_DIRSYNC: 128,
  MS_NOSYMFOLLOW: 256,
  MS_NOATIME: 1024,
  MS_NODIRATIME: 2048,
  MS_BIND: 4096,
  MS_MOVE: 8192,
  MS_REC: 16384,
  MS_SILENT: 32768,
  MS_UNBINDABLE: 1 << 17,
  MS_PRIVATE: 1 << 18,
  MS_SLAVE: 1 << 19,
  MS_SHARED: 1 << 20,
  MS_RELATIME: 1 << 21,
  MS_STRICTATIME: 1 << 24,
  MS_LAZYTIME: 1 << 25,
} as const;

export const MNT = { MNT_FORCE: 1, MNT_DETACH: 2, MNT_EXPIRE: 4, UMOUNT_NOFOLLOW: 8 } as const;

export const PR = {
  PR_SET_PDEATHSIG: 1,
  PR_SET_DUMPABLE: 4,
  PR_SET_KEEPCAPS: 8,
  PR_SET_NAME: 15,
  PR_CAPBSET_READ: 23,
  PR_CAPBSET_DROP: 24,
  PR_SET_SECUREBITS: 28,
  PR_SET_CHILD_SUBREAPER: 36,
  PR_SET_NO_NEW_PRIVS: 38,
  PR_CAP_AMBIENT: 47,
} as const;

export const PR_CAP_AMBIENT_RAISE = 2;
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;

export const CLOSE_RANGE_CLOEXEC = 1 << 2;

/** Decodes a flag word into NAME|NAME; unknown bits are kept as hex so nothing is hidden. */
export function decodeFlags(value: number, table: Record<string, number>): string {
  if (value === 0) return '0';
  const names: string[] = [];
  let rest = value >>> 0;
  for (const [name, bit] of Object.entries(table)) {
    if (bit !== 0 && (rest & bit) === bit) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names.join('|');
}

export const cloneFlagNames = (v: number): string => decodeFlags(v, CLONE);
export const mountFlagNames = (v: number): string => decodeFlags(v, MS);
export const umountFlagNames = (v: number): string => decodeFlags(v, MNT);

export function prctlOptionName(option: number): string {
  for (const [name, value] of Object.entries(PR)) if (value === option) return name;
  return String(option);
}

/** Namespace types as the OCI spec names them, with their clone flag and /proc/PID/ns entry. */
export const NAMESPACES: Record<NamespaceType, { flag: number; proc: string }> = {
  pid: { flag: CLONE.CLONE_NEWPID, proc: 'pid' },
  network: { flag: CLONE.CLONE_NEWNET, proc: 'net' },
  mount: { flag: CLONE.CLONE_NEWNS, proc: 'mnt' },
  ipc: { flag: CLONE.CLONE_NEWIPC, proc: 'ipc' },
  uts: { flag: CLONE.CLONE_NEWUTS, proc: 'uts' },
  user: { flag: CLONE.CLONE_NEWUSER, proc: 'user' },
  cgroup: { flag: CLONE.CLONE_NEWCGROUP, proc: 'cgroup' },
  time: { flag: CLONE.CLONE_NEWTIME, proc: 'time' },
};

export function capabilityNumber(name: string): number | undefined {
  const i = (CAPABILITIES as readonly string[]).indexOf(name);
  return i >= 0 ? i : undefined;
}

/** <sys/resource.h> resource numbers. */
export const RLIMITS: Record<RlimitType, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

/** Mount options as config.json writes them, mapped to flags (set or clear) or propagation. */
export const MOUNT_OPTIONS: Record<MountFlagOption, { set?: number; clear?: number; propagation?: number }> = {
  ro: { set: MS.MS_RDONLY },
  rw: { clear: MS.MS_RDONLY },
  nosuid: { set: MS.MS_NOSUID },
  suid: { clear: MS.MS_NOSUID },
  nodev: { set: MS.MS_NODEV },
  dev: { clear: MS.MS_NODEV },
  noexec: { set: MS.MS_NOEXEC },
  exec: { clear: MS.MS_NOEXEC },
  sync: { set: MS.MS_SYNCHRONOUS },
  async: { clear: MS.MS_SYNCHRONOUS },
  dirsync: { set: MS.MS_DIRSYNC },
  remount: { set: MS.MS_REMOUNT },
  mand: { set: MS.MS_MANDLOCK },
  nomand: { clear: MS.MS_MANDLOCK },
  atime: { clear: MS.MS_NOATIME },
  noatime: { set: MS.MS_NOATIME },
  diratime: { clear: MS.MS_NODIRATIME },
  nodiratime: { set: MS.MS_NODIRATIME },
  bind: { set: MS.MS_BIND },
  rbind: { set: MS.MS_BIND | MS.MS_REC },
  relatime: { set: MS.MS_RELATIME },
  norelatime: { clear: MS.MS_RELATIME },
  strictatime: { set: MS.MS_STRICTATIME },
  nostrictatime: { clear: MS.MS_STRICTATIME },
  nosymfollow: { set: MS.MS_NOSYMFOLLOW },
  private: { propagation: MS.MS_PRIVATE },
  rprivate: { propagation: MS.MS_PRIVATE | MS.MS_REC },
  shared: { propagation: MS.MS_SHARED },
  rshared: { propagation: MS.MS_SHARED | MS.MS_REC },
  slave: { propagation: MS.MS_SLAVE },
  rslave: { propagation: MS.MS_SLAVE | MS.MS_REC },
  unbindable: { propagation: MS.MS_UNBINDABLE },
  runbindable: { propagation: MS.MS_UNBINDABLE | MS.MS_REC },
};
