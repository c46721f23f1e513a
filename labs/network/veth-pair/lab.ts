import type { LabContext, LabDefinition } from '../../../src/labs/format.js';

// Host steps call the tslab CLI that runs this lab (lab.cli), with the same data root.

// The default network, as `tslab container run` uses: bridge tslab0 (see docs/networking.md). The
// lab makes no network of its own, so nothing of it outlives the containers but what disconnect removes.
const NET = 'bridge';

interface NetworkView { bridge: string; subnet: string; gateway: string; containers: Array<{ id: string; address: string; hostVeth: string }> }

async function inspect(lab: LabContext): Promise<NetworkView> {
  const res = await lab.outside(`${lab.cli()} network inspect ${NET}`);
  return (JSON.parse(res.stdout) as NetworkView[])[0]!;
}

export default {
  title: 'veth pairs and a bridge: two containers on one network',
  summary: 'tslab connects each container to its default bridge with a veth pair: one end is eth0 ' +
    'inside the container\'s network namespace, the other stays on the host, enslaved to the bridge. ' +
    'The bridge joins the containers into one Ethernet segment, and its address is their gateway.',
  containers: { a: { image: 'busybox' }, b: { image: 'busybox' } },
  steps: [
    {
      title: 'Connect both containers to the default bridge',
      say: 'network connect leases an address, creates the bridge on first use (with the first address of ' +
        'the subnet), then sends over rtnetlink: RTM_NEWLINK veth (peer eth0 born inside the container\'s ' +
        'namespace, host end enslaved to the bridge), and from inside (setns): lo up, RTM_NEWADDR, eth0 up, ' +
        'RTM_NEWROUTE default via the bridge. Add --trace FILE before "network" to see each message.',
      run: [
        { sh: (lab) => `${lab.cli()} network connect ${NET} ${lab.container('a').id} --pid $PID_A` },
        { sh: (lab) => `${lab.cli()} network connect ${NET} ${lab.container('b').id} --pid $PID_B` },
      ],
    },
    {
      title: 'Look from inside and from the host',
      say: 'Inside, eth0 is one end of the pair ("eth0@ifN": N is the index of the other end, on the host). ' +
        'On the host, that other end is a link whose master is the bridge.',
      run: [
        { in: 'a', sh: 'ip -o link show eth0; ip -o -4 addr show eth0; ip route' },
        { sh: (lab) => `ip -o link show master $(${lab.cli()} network inspect ${NET} | sed -n 's/.*"bridge": "\\(.*\\)".*/\\1/p')` },
      ],
      checks: [
        {
          title: 'inside, eth0 has an address of the network\'s subnet and a default route via the bridge',
          from: 'inside',
          hint: 'No address or route on eth0: the configuration inside the container\'s namespace did not happen.',
          verify: async (lab) => {
            const view = await inspect(lab);
            const mine = view.containers.find((c) => c.id === lab.container('a').id);
            const seen = (await lab.inside('a', 'ip -o -4 addr show eth0; ip route show default')).out;
            return lab.expect.that(!!mine && seen.includes(`inet ${mine.address} `) && seen.includes(`default via ${view.gateway} dev eth0`),
              `inet ${mine?.address ?? '?'} and default via ${view.gateway} dev eth0`, seen.replace(/\s+/g, ' '));
          },
        },
        {
          title: 'the host end of a\'s pair is on the bridge, and it is eth0\'s peer',
          from: 'outside',
          hint: (seen) => `Saw ${seen}: the host end is missing from the bridge, or it is not paired with the container's eth0.`,
          verify: async (lab) => {
            const view = await inspect(lab);
            const mine = view.containers.find((c) => c.id === lab.container('a').id);
            if (!mine) return lab.expect.that(false, 'container a on the network', 'not attached');
            const onBridge = (await lab.outside(`ip -o link show master ${view.bridge}`)).out;
            const hostIndex = (await lab.outside(`cat /sys/class/net/${mine.hostVeth}/ifindex`)).out;
            const peerOfEth0 = /eth0@if(\d+)/.exec((await lab.inside('a', 'ip -o link show eth0')).out)?.[1] ?? '?';
            return lab.expect.that(onBridge.includes(`${mine.hostVeth}@`) && hostIndex === peerOfEth0,
              `${mine.hostVeth} on ${view.bridge}, with index ${peerOfEth0} (eth0@if${peerOfEth0})`,
              `index ${hostIndex}, bridge members: ${onBridge.split('\n').map((l) => l.split(':')[1]?.trim()).join(', ') || 'none'}`);
          },
        },
      ],
    },
    {
      title: 'The containers reach each other, and the host, across the bridge',
      say: 'a pings b\'s address: ARP and ICMP cross a\'s pair, the bridge and b\'s pair. The gateway is the ' +
        'bridge\'s own address, on the host.',
      checks: [
        {
          title: 'a pings b by its address',
          from: 'inside',
          hint: 'No answer: is b\'s eth0 up, with its address, and both host ends up on the same bridge?',
          verify: async (lab) => {
            const view = await inspect(lab);
            const b = view.containers.find((c) => c.id === lab.container('b').id);
            const addr = b?.address.split('/')[0] ?? 'none';
            return lab.expect.equal((await lab.inside('a', `ping -c 1 -W 3 ${addr} >/dev/null && echo reached`)).out, 'reached');
          },
        },
        {
          title: 'a reaches its gateway, the bridge address on the host',
          from: 'inside',
          hint: 'The gateway does not answer: the bridge lacks its address, or is down.',
          verify: async (lab) => {
            const view = await inspect(lab);
            return lab.expect.equal((await lab.inside('a', `ping -c 1 -W 3 ${view.gateway} >/dev/null && echo reached`)).out, 'reached');
          },
        },
      ],
    },
    {
      title: 'What the ping left behind',
      say: 'Before its first packet to b, a asked "who has b\'s address?" (ARP) on eth0; the bridge flooded ' +
        'the question to every port and b answered with the MAC of its eth0. a\'s neighbour table keeps it.',
      run: [{ in: 'a', sh: 'cat /proc/net/arp' }],
    },
  ],
  cleanup: [
    { sh: (lab) => `${lab.cli()} network disconnect ${lab.container('a').id} ${lab.container('b').id}` },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-net-ns',
    mustFail: []
  }],
} satisfies LabDefinition;
