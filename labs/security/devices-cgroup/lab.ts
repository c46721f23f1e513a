import type { LabDefinition } from '../../../src/labs/format.js';

// /dev/kmsg (character device 1:11) is the host kernel's log: not in a container's device allow-list.
const NODE = '/dev/probe-kmsg';

export default {
  title: 'Devices cgroup: a device node is not a way in',
  summary: 'Even a process with every capability, which can create a device node, cannot open a device the ' +
    'container\'s devices cgroup does not allow: linux.resources.devices denies everything but a few harmless ' +
    'devices (null, zero, random, tty, …).',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'Make a node for the kernel log',
      say: 'Our shell enters the container with nsenter, keeping the lab runner\'s capabilities, CAP_MKNOD included: ' +
        'under runc, which lets any node be made, mknod of /dev/kmsg (c 1 11) in the container\'s /dev works and opening ' +
        'it does not: the kernel asks the devices cgroup (a list in devices.list on v1, an eBPF program on v2) and it says ' +
        'no. tslab\'s runtime refuses the mknod already ("Operation not permitted": the same cgroup, the "m" ' +
        'permission), so there is no node to open.',
      run: [
        { in: 'c', sh: `mknod ${NODE} c 1 11 && ls -l ${NODE}`, mayFail: true },
        { in: 'c', sh: `head -n 1 ${NODE}`, mayFail: true },
        { sh: 'head -n 1 /dev/kmsg | cut -c1-60' },
        {
          sh: (lab) => (lab.host.cgroup === 'v1'
            ? `cat ${lab.container('c').cgroup.dir('devices')}/devices.list`
            : 'echo "cgroup v2: the rules are an eBPF program attached to the container\'s cgroup, not a list"'),
        },
      ],
      checks: [
        {
          title: 'inside, the kernel log device cannot be opened (or even made)',
          from: 'inside',
          hint: (seen) => (/not permitted/.test(seen) ? 'Refused for another reason.'
            : 'The container read the host\'s kernel log: its devices cgroup allows character device 1:11 (linux.resources.devices).'),
          verify: async (lab) => {
            const r = await lab.inside('c', `[ -e ${NODE} ] || mknod ${NODE} c 1 11 2>&1; head -n 1 ${NODE} 2>&1 | head -c 200`);
            // a kernel log record looks like "6,8491,3915908936,-;text"
            const leaked = /^\d+,\d+,\d+,/m.test(r.out);
            return lab.expect.that(!leaked && r.out.includes('Operation not permitted'), '"Operation not permitted"', r.out);
          },
        },
        {
          title: 'the host reads the same device (the refusal is the container\'s alone)',
          from: 'outside',
          hint: 'The host cannot read /dev/kmsg either, so the check above proves nothing on this host.',
          verify: async (lab) => lab.expect.atLeast(Number((await lab.outside('head -n 1 /dev/kmsg | wc -c')).out), 1),
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'allow-devices',
    mustFail: ['inside, the kernel log device cannot be opened (or even made)']
  }],
} satisfies LabDefinition;
