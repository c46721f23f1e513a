import type { LabDefinition } from '../../../src/labs/format.js';

// Host steps call the tslab CLI that runs this lab (lab.cli), with the same data root.

const PORT = 18080;
// The default network, as `tslab container run -p` uses; the lab makes no network of its own.
const NET = 'bridge';
// busybox nc, not wget: Debian's static busybox wget crashes on this kind of host; a raw HTTP/1.0
// request shows the bytes anyway.
const fetchHome = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 127.0.0.1 ${PORT} | tail -n 1`;

export default {
  title: 'Published ports: a server inside answers on a host port',
  summary: 'A server in a container listens on port 80 of its own network namespace. Publishing ' +
    `-p 127.0.0.1:${PORT}:80 adds NAT rules on the host (nftables) that send connections for host port ` +
    `${PORT} to the container's address, port 80. No process listens on the host port: the kernel does it.`,
  containers: {
    web: {
      image: 'busybox',
      rootfs: 'overlay',
      args: ['sh', '-c', 'mkdir -p /www && echo "hello from the container" > /www/index.html && exec httpd -f -p 80 -h /www'],
    },
  },
  steps: [
    {
      title: `Connect the container and publish 127.0.0.1:${PORT} → 80`,
      say: 'network connect gives the container eth0 and an address, then installs the port\'s rules in one ' +
        'nft transaction (each rule is a traced nft.rule event): DNAT in the nat prerouting and output ' +
        'hooks, and a masquerade for connections that come from 127.0.0.1.',
      run: [
        { sh: (lab) => `${lab.cli()} network connect ${NET} ${lab.container('web').id} --pid $PID_WEB -p 127.0.0.1:${PORT}:80` },
        { sh: (lab) => `nft list ruleset | grep 'tslab:${lab.container('web').id}'` },
      ],
      checks: [
        {
          title: `the host gets the container's page from 127.0.0.1:${PORT}`,
          from: 'outside',
          hint: (seen) => `nc saw "${seen}": is httpd running inside, are the DNAT rules there, and is ` +
            'route_localnet=1 on the bridge (127.0.0.1 sources may not leave through it otherwise)?',
          verify: async (lab) => {
            const body = await lab.waitFor('the server to answer', async () => {
              const r = await lab.outside(fetchHome);
              return r.code === 0 ? r.out : undefined;
            }, 10_000).catch(() => 'no answer');
            return lab.expect.equal(body, 'hello from the container');
          },
        },
        {
          title: `no process on the host listens on port ${PORT}: the kernel's NAT forwards it`,
          from: 'outside',
          hint: 'A host socket listens on the port: a userspace proxy is answering, not the NAT rules.',
          verify: async (lab) => {
            const hex = `:${PORT.toString(16).toUpperCase().padStart(4, '0')} `;
            const listening = (await lab.outside('cat /proc/net/tcp /proc/net/tcp6')).out.split('\n')
              .filter((l) => l.split(/\s+/)[2]?.endsWith(hex.trim()) && / 0A /.test(l));
            return lab.expect.equal(listening.length, 0);
          },
        },
        {
          title: 'inside, the server listens on port 80 of the container\'s own namespace',
          from: 'inside',
          hint: 'Nothing listens on :80 inside: httpd did not start in the container.',
          verify: async (lab) => lab.expect.matches((await lab.inside('web', 'cat /proc/net/tcp /proc/net/tcp6')).out, /:0050 0+:0000 0A/),
        },
      ],
    },
    {
      title: 'Why 127.0.0.1 needs two extra settings',
      say: 'A packet from 127.0.0.1 may not leave through a real device ("martian source") unless the ' +
        'device has route_localnet=1, which tslab sets on its bridges. And the container would answer ' +
        'to 127.0.0.1, its own loopback, so the source is masqueraded to the bridge address.',
      run: [{ sh: (lab) => `b=$(${lab.cli()} network inspect ${NET} | sed -n 's/.*"bridge": "\\(.*\\)".*/\\1/p'); sysctl net.ipv4.conf.$b.route_localnet` }],
    },
    {
      title: 'Disconnect: the rules go with the container',
      say: 'network disconnect deletes the veth pair and the rules (by the handles nft gave them).',
      run: [{ sh: (lab) => `${lab.cli()} network disconnect ${lab.container('web').id}; nft list ruleset | grep -c 'tslab:${lab.container('web').id}' || true` }],
      checks: [
        {
          title: `127.0.0.1:${PORT} no longer answers`,
          from: 'outside',
          hint: 'The port still answers: a rule was left behind (nft list ruleset | grep tslab:).',
          verify: async (lab) => lab.expect.excludes((await lab.outside(fetchHome)).out, 'hello from the container'),
        },
      ],
    },
  ],
  cleanup: [
    { sh: (lab) => `${lab.cli()} network disconnect ${lab.container('web').id}` },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-net-ns',
    mustFail: []
  }],
} satisfies LabDefinition;
