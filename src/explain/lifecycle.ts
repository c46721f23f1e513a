// Explanations of lifecycle points, OCI hooks and rtnetlink messages.
import type { Explanation } from './types.js';

/** Narration (kind info): decisions the runtime took that are not kernel calls. */
export const narrationExplanations: Record<string, Explanation> = {
  'cgroup.unsupported': {
    title: 'A resource setting this cgroup version cannot apply',
    what: 'config.json asked for a cgroup setting that does not exist in the cgroup version of this host (e.g. disableOOMKiller on cgroup v2); the runtime ignores it and says so.',
    why: 'cgroup v1 and v2 differ: the OCI spec was written for v1, and some v1 switches have no v2 equivalent.',
    without: 'The setting would be dropped silently and the student would believe it applies.',
    man: 'cgroups(7), Documentation/admin-guide/cgroup-v2.rst',
  },
  'cgroup.devices': {
    title: 'Device access control on cgroup v2',
    what: 'cgroup v2 has no devices.allow/deny files: device access is controlled by an eBPF program attached to the cgroup. tslab compiles config.json\'s linux.resources.devices into such a program and attaches it (see the bpf step); on cgroup v1 it writes devices.deny/devices.allow instead.',
    why: 'Device rules keep a container from opening host devices (disks, /dev/mem) even if it can create the node.',
    without: 'Only CAP_MKNOD and the container\'s private /dev tmpfs stand between the container and host devices.',
    man: 'cgroups(7), bpf(2) BPF_PROG_TYPE_CGROUP_DEVICE',
  },
};

export const lifecycleExplanations: Record<string, Explanation> = {
  'state.creating': {
    title: 'Lifecycle: creating',
    what: 'The runtime has read config.json and starts building the container: namespaces, mounts, cgroup.',
    why: 'The OCI runtime spec defines the states creating → created → running → stopped; `tslab oci state` reports them.',
    without: 'Tools like containerd could not tell a half-built container from a ready one.',
    man: 'OCI runtime-spec: runtime.md "State"',
  },
  'state.created': {
    title: 'Lifecycle: created',
    what: 'The container\'s environment is complete and its init waits for `start`; the user program has not run yet.',
    why: 'Separating create from start lets a caller (containerd, a lab) inspect or configure the container (network!) before its program runs.',
    without: 'There would be no moment to set up networking or hooks before the program starts.',
    man: 'OCI runtime-spec: runtime.md "Lifecycle"',
  },
  'state.running': {
    title: 'Lifecycle: running',
    what: 'The init has executed the container\'s program (`process.args`).',
    why: 'From here the program runs in its namespaces and cgroup; `tslab oci kill` can signal it.',
    without: '—',
    man: 'OCI runtime-spec: runtime.md "Lifecycle"',
  },
  'state.paused': {
    title: 'Lifecycle: paused',
    what: 'Every process of the container is frozen by the cgroup freezer (`tslab oci pause`, `tslab container pause`): they stay in memory but get no CPU time until `resume` thaws them.',
    why: 'Freezing the whole cgroup at once stops a container consistently, e.g. to checkpoint or inspect it.',
    without: 'Stopping processes one by one with SIGSTOP races with the processes forking.',
    man: 'cgroups(7) freezer, OCI runtime-spec: runtime.md',
  },
  'state.resumed': {
    title: 'Lifecycle: resumed (running again)',
    what: 'The cgroup freezer thawed every process of a paused container; it is running again where it stopped.',
    why: 'Pause and resume are a pair: the container continues as if nothing had happened (its clocks moved on).',
    without: 'A paused container could only be killed.',
    man: 'cgroups(7) freezer, OCI runtime-spec: runtime.md',
  },
  'state.stopped': {
    title: 'Lifecycle: stopped',
    what: 'The container\'s program exited (or was killed); the runtime collected its exit status.',
    why: 'A stopped container still exists (its state, cgroup, rootfs) until it is deleted, so its exit code can be read.',
    without: '—',
    man: 'OCI runtime-spec: runtime.md "Lifecycle"',
  },
  'state.deleted': {
    title: 'Lifecycle: deleted',
    what: 'The runtime removed what it created: the cgroup, mounts, the state directory.',
    why: 'Everything a container made on the host must go away with it.',
    without: 'Leftover cgroups and mounts accumulate on the host.',
    man: 'OCI runtime-spec: runtime.md "Operations: delete"',
  },
};

const hookTimes: Record<string, string> = {
  prestart: 'after the container is created, before its program starts, in the runtime namespace (deprecated: use createRuntime)',
  createRuntime: 'during create, after the namespaces exist but before pivot_root, in the runtime\'s namespace',
  createContainer: 'during create, after the mounts but before pivot_root, in the container\'s namespace',
  startContainer: 'during start, in the container, just before the program is executed',
  poststart: 'right after the program has started, in the runtime namespace',
  poststop: 'after the container is deleted, in the runtime namespace',
};

export function hookExplanation(hook: string): Explanation {
  const when = hookTimes[hook];
  return {
    title: `OCI hook: ${hook}`,
    what: `Runs a program listed under hooks.${hook} in config.json${when ? `: ${when}` : ''}. It receives the container state on stdin.`,
    why: 'Hooks let other tools plug into the lifecycle: network plugins (CNI) set up interfaces, GPU runtimes inject devices, logging collects state.',
    without: 'The container would start without whatever the hook prepares (e.g. no network interface from CNI).',
    man: 'OCI runtime-spec: config.md "POSIX-platform Hooks"',
  };
}

const netlinkMessages: Record<string, string> = {
  RTM_NEWLINK: 'creates a network interface (a veth pair, a bridge) or changes one: set it up, rename it, move it into another network namespace (IFLA_NET_NS_FD)',
  RTM_DELLINK: 'deletes a network interface (deleting one end of a veth pair deletes both; when the container\'s network namespace is already gone, the kernel has deleted the pair with it and answers ENODEV, which is expected)',
  RTM_GETLINK: 'asks for an interface\'s attributes (index, name, state)',
  RTM_SETLINK: 'changes an interface\'s attributes (state, name, MTU)',
  RTM_NEWADDR: 'assigns an IP address to an interface',
  RTM_DELADDR: 'removes an IP address from an interface',
  RTM_GETADDR: 'lists the addresses of interfaces',
  RTM_NEWROUTE: 'adds a route, e.g. the container\'s default route through the host end of its veth',
  RTM_DELROUTE: 'removes a route',
  RTM_GETROUTE: 'looks up routes',
  RTM_NEWNEIGH: 'adds a neighbour (ARP) entry',
  RTM_DELNEIGH: 'removes a neighbour (ARP) entry',
};

export function netlinkExplanation(message: string): Explanation {
  const does = netlinkMessages[message];
  return {
    title: `rtnetlink ${message}`,
    what: `Sends one ${message} request over a NETLINK_ROUTE socket; the kernel ${does ?? 'handles the routing-table request'} and acknowledges it.`,
    why: 'A new network namespace has only a downed loopback. The runtime builds the container\'s network with rtnetlink messages — what `ip link`, `ip addr` and `ip route` send too.',
    without: 'The container has no network interface, address or route: it cannot reach anything, not even the host.',
    man: 'rtnetlink(7), netlink(7), ip-link(8)',
  };
}
