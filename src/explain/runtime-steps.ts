// Explanations of steps that are not single libc calls: how the runtime starts its init, the
// exec fifo, and the networking engineer's IPAM and nftables steps.
import type { Explanation } from './types.js';

export const runtimeStepExplanations: Record<string, Explanation> = {
  'spawn.init': {
    title: 'Start the container\'s init process',
    what: 'Starts a fresh Node process (libuv fork+exec) that will become the container: it prepares its own namespaces, mounts and credentials, then execs the program. With a new PID namespace the runtime unshares CLONE_NEWPID just before, so this child becomes PID 1, and setns()es straight back.',
    why: 'Node cannot continue in JavaScript after a raw fork() (its heap is MADV_DONTFORK), so every process that must run JS is started with spawn and then acts on itself. That process is the host\'s node inside the container\'s pid namespace, so it must be unreachable from there (CVE-2019-5736): it is exec\'d from a read-only bind mount in no mount namespace (open_tree), so /proc/<pid>/exe can never be written; and it is non-dumpable from its first instruction (the runtime is non-dumpable and spawns with this thread\'s egid != rgid, which execve treats like a set-gid program), so /proc/<pid>/exe, fd/ and ptrace need CAP_SYS_PTRACE over the host until it has become the program.',
    without: 'There is no process to turn into the container.',
    man: 'fork(2), execve(2), pid_namespaces(7)',
  },
  'spawn.trampoline': {
    title: 'Start the init through a single-threaded trampoline',
    what: 'Runs util-linux `unshare --user --keep-caps --pid --fork` which creates the user (and PID) namespace and then execs node as the init; the runtime then writes setgroups, uid_map and gid_map from outside. To join a running container\'s PID namespace (exec), `nsenter --pid=/proc/<init>/ns/pid` joins it and forks: only its child, which execs node, is ever inside. Both come from a read-only bind mount in no mount namespace, non-dumpable.',
    why: 'unshare(CLONE_NEWUSER) fails with EINVAL in a multithreaded process, and Node always has threads. runc solves the same problem with C code that runs before Go starts (nsexec). The PID namespace must be created inside the user namespace, or mounting /proc fails with EPERM. A populated PID namespace is never entered by a fork of the runtime: that child would be a copy of the runtime (exe: the host\'s node, every fd) until it exec\'d, in view of the container (CVE-2019-5736).',
    without: 'No user namespace: container root would be host root.',
    man: 'unshare(1), user_namespaces(7), clone(2)',
  },
  open: {
    title: 'Open the exec fifo (wait for start)',
    what: 'Opens exec.fifo for writing. Opening a FIFO blocks until someone opens the other end for reading.',
    why: 'This is how `create` and `start` are separated: the init has done everything but exec, and sleeps here until `tslab oci start` opens the fifo.',
    without: 'The program would run as soon as the container is created: no window for hooks or network setup.',
    man: 'open(2), fifo(7)',
  },
  'ipam.allocate': {
    title: 'Lease an IP address (IPAM)',
    what: 'Picks a free address of the network\'s subnet for this container and records the lease, so no two containers get the same one.',
    why: 'The container\'s interface needs an address before it can talk to anything; address management is the runtime\'s job, like CNI\'s host-local plugin.',
    without: 'Containers would collide on addresses, or have none.',
    man: 'CNI spec: plugins/ipam/host-local',
  },
  'network.detached': {
    title: 'Network torn down',
    what: 'The container\'s veth pair, its firewall rules and its address lease were removed.',
    why: 'Everything the network setup created on the host must go away with the container.',
    without: 'Stale veths, rules and leases pile up; a later container could get an address that is still routed to a dead one.',
    man: 'ip-link(8), nft(8)',
  },
  'network.gc': {
    title: 'Collect leftover network state',
    what: 'Removes endpoints, links, nftables rule sets and leases whose container no longer exists (after a crash or kill -9).',
    why: 'A runtime killed mid-way cannot clean up after itself; a garbage collector makes the host consistent again.',
    without: 'Leaked interfaces and rules stay until reboot.',
    man: 'ip-link(8), nft(8)',
  },
  nft: {
    title: 'Load firewall rules (nftables)',
    what: 'Runs `nft -f -` with a script of rules: NAT for outgoing traffic (masquerade), DNAT for published ports, forwarding between the bridge and the host.',
    why: 'A container on a private bridge needs NAT to reach out and port forwarding to be reached; nftables is the kernel\'s packet filter.',
    without: 'The container could not reach beyond the host, and published ports would not answer.',
    man: 'nft(8)',
  },
  'nft.rule': {
    title: 'One nftables rule',
    what: 'One line of the nft script above, shown on its own with the reason it exists.',
    why: 'Each rule does one job (masquerade, DNAT a port, accept forwarded traffic): reading them one by one is how you learn container networking.',
    without: 'That one piece of connectivity is missing.',
    man: 'nft(8)',
  },
};
