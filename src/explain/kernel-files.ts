// Explanations of writes to kernel interface files (cgroups, user namespace maps, sysctls).
import type { Explanation } from './types.js';

export const kernelFileExplanations: Record<string, Explanation> = {
  'cgroup.write': {
    title: 'Write a cgroup control file',
    what: 'Writes a value into a file of the container\'s cgroup directory: a limit (memory.max, pids.max, cpu.max), or a pid into cgroup.procs to move a process into the group.',
    why: 'Namespaces decide what a container can see; cgroups decide how much it can use. The runtime creates one cgroup per container, sets its limits and moves the init into it.',
    without: 'The container could use all the host\'s memory, fork-bomb the machine, or take every CPU; and `tslab` could not tell which processes belong to it.',
    man: 'cgroups(7), Documentation/admin-guide/cgroup-v2.rst',
  },
  'uid_map.write': {
    title: 'Map user ids into the user namespace',
    what: 'Writes `inside outside count` lines to /proc/<pid>/uid_map, once: uid `inside` in the namespace is uid `outside` on the host. Must be written by a process outside the namespace.',
    why: 'Root in the container (uid 0) becomes an unprivileged host uid, so even an escape lands as nobody. A multithreaded process (Node) cannot create a user namespace itself, so the runtime starts a single-threaded helper and writes the map from outside.',
    without: 'Processes in the namespace have the overflow uid 65534 (nobody) and cannot setresuid(0); without a user namespace at all, container root is host root.',
    man: 'user_namespaces(7)',
  },
  'gid_map.write': {
    title: 'Map group ids into the user namespace',
    what: 'Writes `inside outside count` lines to /proc/<pid>/gid_map, once, like uid_map for groups.',
    why: 'Group 0 in the container must map to an unprivileged host group, and setresgid(0) inside needs a mapping to exist.',
    without: 'setresgid fails with EINVAL, files show up as owned by nogroup.',
    man: 'user_namespaces(7)',
  },
  'setgroups.write': {
    title: 'Deny setgroups in the user namespace',
    what: 'Writes `deny` to /proc/<pid>/setgroups before gid_map, so nobody in the namespace can call setgroups(2).',
    why: 'An unprivileged writer may only set a gid_map after setgroups is denied: otherwise a user could drop a group whose denial protects a file ("negative" group permissions, CVE-2014-8989).',
    without: 'The kernel refuses the gid_map write with EPERM for an unprivileged mapper.',
    man: 'user_namespaces(7)',
  },
  'sysctl.write': {
    title: 'Set a namespaced kernel parameter',
    what: 'Writes a value under /proc/sys inside the container, e.g. net.ipv4.ip_forward or kernel.shmmax, as config.json `linux.sysctl` asks.',
    why: 'Some kernel parameters belong to a namespace (network, IPC, UTS): the container may set them for itself without touching the host.',
    without: 'The container runs with default parameters; writing the same file outside a new namespace would change the whole host.',
    man: 'sysctl(8), proc(5)',
  },
  'sysctl.route_localnet': {
    title: 'Let 127.0.0.1 traffic be routed to the bridge (route_localnet)',
    what: 'Writes 1 to /proc/sys/net/ipv4/conf/<bridge>/route_localnet: the kernel then accepts routing packets with a 127.0.0.0/8 address out through this interface instead of dropping them as martians.',
    why: 'A port published on the host is DNATed by nftables to the container\'s address; for `curl 127.0.0.1:PORT` on the host the rewritten packet still comes from 127.0.0.1, and without this switch the kernel drops it. Docker uses the same switch (with its userland proxy off).',
    without: 'Published ports answer on the host\'s other addresses but not on 127.0.0.1 (a proxy process would be needed).',
    man: 'ip-sysctl (Documentation/networking/ip-sysctl.rst), nft(8)',
  },
  'cgroup-freeze': {
    title: 'Freeze the container\'s cgroup (pause)',
    what: 'Writes FROZEN to freezer.state (cgroup v1) or 1 to cgroup.freeze (v2): the kernel stops scheduling every task of the cgroup, and the freezer state file says when all are frozen.',
    why: '`container pause` stops every process of a container at once, including ones it forks meanwhile, without sending them a signal they could see or handle.',
    without: 'Pausing would need SIGSTOP to each process, racing with forks, and visible to the processes (their parent gets SIGCHLD).',
    man: 'cgroups(7), Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst',
  },
  'cgroup-thaw': {
    title: 'Thaw the container\'s cgroup (unpause)',
    what: 'Writes THAWED to freezer.state (cgroup v1) or 0 to cgroup.freeze (v2): the frozen tasks are scheduled again and go on where they stopped.',
    why: '`container unpause` ends a pause; removing a paused container thaws it first so that its processes can act on SIGKILL promptly.',
    without: 'A paused container could never run again.',
    man: 'cgroups(7), Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst',
  },
  'oom_score_adj.write': {
    title: 'Adjust the out-of-memory score',
    what: 'Writes -1000…1000 to /proc/<pid>/oom_score_adj: how eagerly the kernel\'s OOM killer picks this process.',
    why: 'config.json `process.oomScoreAdj` lets a container be sacrificed first (or protected) when the machine runs out of memory.',
    without: 'The container inherits the runtime\'s score.',
    man: 'proc(5)',
  },
};

/** Notes on individual cgroup files, shown under the cgroup.write explanation. */
export const cgroupFileNotes: Record<string, string> = {
  'cgroup.procs': 'Moves a process into this cgroup: from now on its usage counts here and the limits apply to it. Done only after the init reports that Node has booted, or a small pids/memory limit starves Node\'s own threads.',
  'cgroup.subtree_control': 'Enables controllers (memory, pids, cpu…) for the children of this cgroup (cgroup v2).',
  'memory.max': 'Hard memory limit (cgroup v2): above it the kernel reclaims, then OOM-kills a process of the group.',
  'memory.limit_in_bytes': 'Hard memory limit (cgroup v1).',
  'memory.swap.max': 'Limit on swap use (cgroup v2).',
  'memory.memsw.limit_in_bytes': 'Limit on memory plus swap (cgroup v1).',
  'memory.high': 'Soft memory limit: above it the group is throttled and reclaimed hard.',
  'pids.max': 'Maximum number of processes and threads: stops fork bombs with EAGAIN.',
  'cpu.max': 'CPU bandwidth as `quota period` in microseconds (cgroup v2): e.g. `50000 100000` is half a CPU.',
  'cpu.cfs_quota_us': 'CPU time allowed per period (cgroup v1).',
  'cpu.cfs_period_us': 'Length of the CPU accounting period (cgroup v1).',
  'cpu.weight': 'Relative CPU share when CPUs are contended (cgroup v2).',
  'cpu.shares': 'Relative CPU share when CPUs are contended (cgroup v1).',
  'cpuset.cpus': 'Which CPUs the group may run on.',
  'cpuset.mems': 'Which memory nodes the group may allocate from.',
  'io.max': 'Per-device read/write bandwidth and IOPS limits (cgroup v2).',
  'devices.allow': 'Allows access to a device class (cgroup v1 device controller).',
  'devices.deny': 'Denies access to devices (cgroup v1 device controller): `a` denies all first, then allow the standard ones.',
  'freezer.state': 'FROZEN stops every process of the group at once (cgroup v1 pause/resume).',
  'cgroup.freeze': 'Writing 1 freezes every process of the group (cgroup v2 pause/resume).',
  'cgroup.kill': 'Writing 1 kills every process of the group at once (cgroup v2).',
};
