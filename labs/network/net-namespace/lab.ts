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
    {
      title: 'Your turn: a listener of your own',
      say: 'Sockets belong to a network namespace too. A program listening inside the container is in the ' +
        'container\'s socket table (/proc/<pid>/net/tcp of any of its processes) and nowhere in the host\'s: ' +
        'the same port stays free on the host.',
      task: {
        instruction: 'Open a shell in the container and start a TCP listener on port 7777 in the background. Predict first: will the host\'s `ss -ltn` list port 7777?',
        in: 'c',
        command: 'nc -l -p 7777 &',
        // a background program must not hold the exec's output open
        solution: 'nc -l -p 7777 </dev/null >/dev/null 2>&1 &',
        check: {
          title: 'your listener is in the container\'s socket table and not in the host\'s',
          from: 'outside',
          hint: 'Port 7777 listens in the host\'s socket table: the container shares the host\'s network namespace.',
          verify: async (lab) => {
            // /proc/<pid>/net/tcp{,6}: local address as hex ip:port, state 0A = LISTEN; 7777 = 0x1E61 (busybox's nc listens on ::)
            const listens = async (pid: string): Promise<boolean> =>
              / [0-9A-F]{8,32}:1E61 [0-9A-F]{8,32}:0000 0A /.test((await lab.outside(`cat /proc/${pid}/net/tcp /proc/${pid}/net/tcp6`)).out);
            const [inside, onHost] = [await listens('$PID_C'), await listens('1')];
            const seen = !inside && !onHost ? 'no listener on 7777 yet' : inside && onHost ? 'port 7777 listens inside and on the host (one socket table)' : inside ? 'port 7777 listens inside only' : 'port 7777 listens on the host only';
            return lab.expect.that(inside && !onHost, 'port 7777 listening inside only', seen);
          },
        },
        hints: [
          { when: 'no listener', say: 'Nothing yet: open the shell with the command above, then type the nc line (the & keeps your shell free).' },
          { when: 'host only', say: 'Something on the host holds port 7777: stop it, or the check cannot tell.' },
        ],
      },
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-net-ns',
    mustFail: ['the container\'s network namespace is not the host\'s', 'your listener is in the container\'s socket table and not in the host\'s']
  }],
} satisfies LabDefinition;
