// errno numbers to names, and hints a person can act on.
import { constants } from 'node:os';

const names = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!names.has(value)) names.set(value, name);
}

export function errnoName(n: number): string {
  return names.get(n) ?? `E${n}`;
}

export function errnoNumber(name: string): number | undefined {
  return (constants.errno as Record<string, number>)[name];
}

const hints: Record<string, Record<string, string>> = {
  '*': {
    EPERM: 'the operation needs privileges: run tslab as root (sudo), or check the capabilities and user namespace in use',
    EACCES: 'permission denied: check ownership and mode of the path, and that tslab runs as root',
    ENOENT: 'a path does not exist: check the bundle, the rootfs and the mount destinations',
    EBUSY: 'the target is in use: another mount or process holds it; unmount or stop it first',
    ENOSYS: 'this kernel lacks the system call: a newer kernel or a config option is needed',
    EEXIST: 'the object already exists: pick another name or remove the old one',
    ENOSPC: 'no space or an exhausted kernel limit (user namespaces, inotify, disk)',
  },
  unshare: {
    EINVAL: 'the kernel refused the flags: CLONE_NEWUSER cannot be used by a multithreaded process (Node always is), and some namespaces need kernel options',
    EPERM: 'creating namespaces needs CAP_SYS_ADMIN: run as root',
    ENOSPC: 'the namespace limit in /proc/sys/user/max_*_namespaces is reached',
  },
  setns: {
    EINVAL: 'the fd is not a namespace of that type, or the process is multithreaded and the namespace is a user namespace',
    EPERM: 'joining a namespace needs CAP_SYS_ADMIN in its owning user namespace',
  },
  mount: {
    EINVAL: 'bad mount flags or data for this filesystem; for propagation changes the target must be a mount point',
    ENODEV: 'the kernel does not know this filesystem type (is the module loaded?)',
    EPERM: 'mounting needs CAP_SYS_ADMIN in the mount namespace owner; a locked mount cannot be changed',
  },
  pivot_root: {
    EINVAL: 'new_root must be a mount point, not on the same mount as the current root, and / must not be shared: bind-mount the rootfs onto itself and make / private first',
    EBUSY: 'new_root or put_old is on the current root filesystem',
  },
  execve: {
    ENOENT: 'the program (or its interpreter or dynamic loader) does not exist in the container rootfs',
    EACCES: 'the program is not executable, or its filesystem is mounted noexec',
    ENOEXEC: 'the file is not an executable this kernel can run (wrong architecture or a script without #!)',
  },
  capset: { EPERM: 'a capability cannot be added to a set it is not permitted in (check the bounding set)' },
  bpf: {
    EPERM: 'loading or attaching BPF programs needs root (CAP_BPF and CAP_SYS_ADMIN); kernel lockdown or a seccomp filter can forbid bpf() even for root',
    EACCES: 'the verifier refused the program (its log follows)',
    EINVAL: 'the kernel rejected the request: for BPF_PROG_LOAD read the verifier log; for BPF_PROG_ATTACH the target must be a cgroup v2 directory',
    EBADF: 'the target fd is not a cgroup v2 directory, or the program fd is closed',
  },
  sethostname: { EPERM: 'setting the hostname needs CAP_SYS_ADMIN in the UTS namespace: ask for a uts namespace' },
};

export function hintFor(call: string, errno: string): string | undefined {
  return hints[call]?.[errno] ?? hints['*']?.[errno];
}
