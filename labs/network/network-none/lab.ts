import type { LabDefinition } from '../../../src/labs/format.js';

export default {
  title: 'Network none: a network namespace with only lo',
  summary: 'docker run --network none gives the container a network namespace of its own and connects nothing ' +
    'to it: the only interface is the loopback, there is no route, and the host\'s interfaces, addresses and ' +
    'sockets are not visible.',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'List interfaces and routes, inside and outside',
      say: 'ip link asks the kernel over netlink for the interfaces of the caller\'s network namespace. Inside that ' +
        'is lo and nothing else; the host has its own list. With no interface but lo there is no route, so a ' +
        'connection to any address outside fails at once with "Network is unreachable".',
      run: [
        { in: 'c', sh: 'ip -o link | cut -d" " -f2; echo "routes: $(ip route | wc -l)"' },
        { sh: 'ip -o link | cut -d" " -f2 | head -n 8; echo "routes: $(ip route | wc -l)"' },
        { in: 'c', sh: 'nc -w 2 192.0.2.1 80 </dev/null 2>&1; echo "exit $?"', mayFail: true },
      ],
      checks: [
        {
          title: 'inside, lo is the only interface',
          from: 'inside',
          hint: (seen) => `Inside lists ${seen}: the container shares a network namespace (the host's?).`,
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'ip -o link | cut -d" " -f2 | tr -d ":" | tr "\\n" " "')).out, 'lo'),
        },
        {
          title: 'inside, there is no route',
          from: 'inside',
          hint: 'The container has routes: it has an interface connected to something.',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'ip route | wc -l')).out, '0'),
        },
        {
          title: 'inside, a connection to an outside address is unreachable',
          from: 'inside',
          hint: (seen) => `nc said "${seen}": the connection got further than the container's own namespace.`,
          verify: async (lab) => lab.expect.includes((await lab.inside('c', 'nc -w 2 192.0.2.1 80 </dev/null 2>&1; true')).out, 'unreachable'),
        },
        {
          title: 'the host\'s /proc/<pid>/net/dev of the container lists lo only',
          from: 'outside',
          hint: 'The container\'s net/dev lists more than lo: its process is in a namespace with other interfaces.',
          verify: (lab) => {
            const devs = lab.readFile(`/proc/${lab.container('c').pid}/net/dev`).split('\n').slice(2)
              .map((l) => l.split(':')[0]?.trim()).filter(Boolean);
            return lab.expect.equal(devs.join(' '), 'lo');
          },
        },
      ],
    },
  ],
  controls: [{
    wrapper: 'no-net-ns',
    mustFail: ['inside, lo is the only interface', 'inside, there is no route', 'the host\'s /proc/<pid>/net/dev of the container lists lo only'],
  }],
} satisfies LabDefinition;
