import type { LabDefinition } from '../../../src/labs/format.js';

export default {
  title: 'Network namespace: a network stack of its own, empty',
  summary: 'A new network namespace has its own interfaces, routes and sockets, and starts with only ' +
    'a loopback device, which is down. The host\'s interfaces are invisible inside.',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'Look at the interfaces from inside and outside',
      say: 'ip(8) asks the kernel over rtnetlink for the links of the caller\'s network namespace. ' +
        'The runtime created the container with CLONE_NEWNET and added nothing: no eth0, no route. ' +
        'The kernel makes every new namespace with lo down; some runtimes bring it up (runc does, and ' +
        'docker for --network none), tslab\'s leaves it as the kernel made it.',
      run: [
        { in: 'c', sh: 'ip -o link; echo; ip route; echo; cat /proc/net/dev' },
        { sh: 'unshare --net ip -o link' },
        { sh: 'ip -o link | cut -d" " -f2; readlink /proc/self/ns/net /proc/$PID_C/ns/net' },
      ],
      checks: [
        {
          title: 'inside, lo is the only interface',
          from: 'inside',
          hint: (seen) => `Inside sees ${seen}: the container shares a network namespace (is "network" in linux.namespaces?).`,
          verify: async (lab) => {
            const names = (await lab.inside('c', 'ls /sys/class/net')).out.split(/\s+/).filter(Boolean);
            return lab.expect.equal(names.join(' '), 'lo');
          },
        },
        {
          title: 'the host\'s interfaces (its default route\'s device) are not visible inside',
          from: 'outside',
          hint: 'The container lists the host\'s links: no network namespace was created.',
          verify: async (lab) => {
            const hostLinks = (await lab.outside('ls /sys/class/net')).out.split(/\s+/).filter((n) => n && n !== 'lo');
            const inside = (await lab.inside('c', 'ls /sys/class/net')).out.split(/\s+/);
            const leaked = hostLinks.filter((n) => inside.includes(n));
            return lab.expect.that(hostLinks.length > 0 && leaked.length === 0,
              `none of the host's links (${hostLinks.join(', ')}) inside`, leaked.join(', ') || 'none');
          },
        },
        {
          title: 'the container\'s network namespace is not the host\'s',
          from: 'outside',
          hint: 'Same inode in /proc/<pid>/ns/net: no network namespace was created.',
          verify: async (lab) => {
            const [host, c] = (await lab.outside('readlink /proc/self/ns/net /proc/$PID_C/ns/net')).out.split('\n');
            return lab.expect.notEqual(c ?? '', host ?? '');
          },
        },
      ],
    },
    {
      title: 'Bring lo up inside: only the container\'s loopback changes',
      say: 'Each namespace has its own lo. Bringing it up inside sets IFF_UP on the ' +
        'container\'s namespace; the host\'s lo is another device and stays as it was.',
      run: [{ in: 'c', sh: 'ip link set lo up && ip -o link show lo && ping -c 1 -W 2 127.0.0.1' }],
      checks: [
        {
          title: 'inside, 127.0.0.1 answers once lo is up',
          from: 'inside',
          hint: 'ping 127.0.0.1 failed inside: lo did not come up in the container\'s namespace.',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'ping -c 1 -W 2 127.0.0.1 >/dev/null && echo ok')).out, 'ok'),
        },
        {
          title: 'the host\'s lo is still up (it is another device)',
          from: 'outside',
          hint: 'The host\'s lo is down: that would break the host; the container must not share its namespace.',
          verify: async (lab) => lab.expect.includes((await lab.outside('ip -o link show lo')).out, 'UP'),
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-net-ns',
    mustFail: ['the container\'s network namespace is not the host\'s']
  }],
} satisfies LabDefinition;
