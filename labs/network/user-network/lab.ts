import type { LabContext, LabDefinition } from '../../../src/labs/format.js';

// The steps drive the tslab CLI that runs this lab (lab.cli), with its data root:
// networks share the host's address pool, so they must be made where every other one is.
// Names carry this run's pid: runs on other checkouts share the kernel.

const NET = `labnet${process.pid}`;
const WEB = `web-${process.pid}`;
const CLIENT = `client-${process.pid}`;
const exec = (lab: LabContext, name: string, sh: string): string => `${lab.cli()} container exec ${name} sh -c '${sh}'`;
const fetchWeb = `printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 3 ${WEB} 8080 | tail -n 1`;

/** the network as `tslab network inspect` reports it */
async function network(lab: LabContext): Promise<{ bridge?: string; containers?: { name: string; address: string; hostVeth: string }[] }> {
  const r = await lab.outside(`${lab.cli()} network inspect ${NET}`);
  return r.code === 0 ? (JSON.parse(r.out) as object[])[0]! : {};
}

export default {
  title: 'A user network: two containers reach each other by name',
  summary: '`tslab network create` makes a Linux bridge with a subnet of its own. Each container run ' +
    'with `--network` on it gets a veth pair whose host end is a port of that bridge, an address, and ' +
    'an /etc/hosts that names every peer. A client finds the server by its container name, and the ' +
    'packets cross the bridge in the host\'s kernel.',
  containers: {},
  steps: [
    {
      title: 'Create the network and run two containers on it',
      say: 'The network is a bridge device and a subnet. The server runs httpd on port 8080; the client ' +
        'only sleeps. Each gets eth0 in its own network namespace, its peer veth enslaved to the bridge.',
      run: [
        { sh: (lab) => `${lab.cli()} network create ${NET}` },
        { sh: (lab) => `${lab.cli()} container run -d --runtime "${lab.host.runtime}" --network ${NET} --name ${WEB} busybox sh -c 'mkdir -p /www && echo "hello from ${WEB}" > /www/index.html && exec httpd -f -p 8080 -h /www'` },
        { sh: (lab) => `${lab.cli()} container run -d --runtime "${lab.host.runtime}" --network ${NET} --name ${CLIENT} busybox sleep 100000` },
        { sh: (lab) => `ip -br link show master $(${lab.cli()} network inspect ${NET} | sed -n 's/.*"bridge": "\\(.*\\)".*/\\1/p')` },
      ],
      checks: [
        {
          title: 'both containers\' host-side veths are ports of the network\'s bridge',
          from: 'outside',
          hint: (seen) => `the bridge's ports: ${seen}. A container that is not attached has no way to the other (was it started with --network?).`,
          verify: async (lab) => {
            const net = await network(lab);
            const ports = (await lab.outside(`ip -o link show master ${net.bridge ?? 'none'}`)).out;
            const veths = (net.containers ?? []).map((c) => c.hostVeth);
            return lab.expect.that(veths.length === 2 && veths.every((v) => ports.includes(`${v}@`)), 'both veths on the bridge', ports || 'no ports');
          },
        },
        {
          title: 'inside, each container has its own eth0 with an address in the network\'s subnet',
          from: 'inside',
          hint: 'eth0 has no address from the network: the container is not in a network namespace of its own, or the attach failed.',
          verify: async (lab) => {
            const net = await network(lab);
            const want = (net.containers ?? []).map((c) => c.address.split('/')[0]).sort().join(' ');
            const seen: string[] = [];
            for (const c of [WEB, CLIENT]) {
              seen.push(/inet (\S+)\//.exec((await lab.outside(exec(lab, c, 'ip -4 -o addr show eth0'))).out)?.[1] ?? 'none');
            }
            return lab.expect.equal(seen.sort().join(' '), want || 'no leases');
          },
        },
      ],
    },
    {
      title: 'The client asks for the server by name',
      say: 'The engine wrote every peer into each container\'s /etc/hosts (docker runs a DNS server at ' +
        '127.0.0.11 for the same job). The client connects to "' + WEB + '": the name becomes the ' +
        'server\'s address, and the SYN crosses the bridge.',
      run: [
        { sh: (lab) => exec(lab, CLIENT, 'cat /etc/hosts') },
        { sh: (lab) => exec(lab, CLIENT, fetchWeb), mayFail: true },
      ],
      checks: [
        {
          title: 'inside the client, the server\'s name resolves to the server\'s address',
          from: 'inside',
          hint: 'The name does not resolve, or to another address: /etc/hosts inside does not list the peer.',
          verify: async (lab) => {
            const web = (await network(lab)).containers?.find((c) => c.name === WEB)?.address.split('/')[0] ?? 'no lease';
            const line = (await lab.outside(exec(lab, CLIENT, `grep -w ${WEB} /etc/hosts`))).out.trim();
            return lab.expect.equal(line.split(/\s+/)[0] ?? '', web);
          },
        },
        {
          title: 'inside the client, a request to the server\'s name gets the server\'s page',
          from: 'inside',
          hint: 'No answer: is httpd listening inside the server, and are both containers on one bridge?',
          verify: async (lab) => lab.expect.equal(
            await lab.pollUntil(async () => (await lab.outside(exec(lab, CLIENT, fetchWeb))).out.trim(), (o) => o === `hello from ${WEB}`, 15_000),
            `hello from ${WEB}`),
        },
      ],
    },
  ],
  cleanup: [
    { sh: (lab) => lab.removeContainer(CLIENT), mayFail: true },
    { sh: (lab) => lab.removeContainer(WEB), mayFail: true },
    { sh: (lab) => `${lab.cli()} network rm ${NET}`, mayFail: true },
  ],
  controls: [{
    // without a network namespace the engine refuses to attach the container: the lab fails at its first step
    wrapper: 'no-net-ns',
    mustFail: [],
  }],
} satisfies LabDefinition;
