import type { LabContext, LabDefinition } from '../../../src/labs/format.js';

// Two ports that differ, so the direction shows: the host's port and the container's. Each run picks
// its own from its pid (runs on other checkouts share the kernel's port space); titles name them by role.
const HOST_PORT = 20000 + (process.pid % 5000);
const CONTAINER_PORT = 30000 + (process.pid % 5000);
const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
const ask = (port: number): string => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 127.0.0.1 ${port} | tail -n 1`;

/** the local ports in LISTEN state in a /proc/net/tcp{,6} text, as numbers */
function listening(tcp: string): number[] {
  return tcp.split('\n').map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && f[1]?.includes(':'))
    .map((f) => parseInt(f[1]!.split(':')[1]!, 16));
}
async function hostListening(lab: LabContext): Promise<number[]> {
  return listening(lab.readFile('/proc/net/tcp') + lab.readFile('/proc/net/tcp6'));
}

export default {
  title: 'Port mapping has a direction: host port → container port',
  summary: `-p 127.0.0.1:${HOST_PORT}:${CONTAINER_PORT} sends connections for the host's port ${HOST_PORT} to ` +
    `the container's port ${CONTAINER_PORT}. The kernel does it with a DNAT rule; the container's port is ` +
    'bound only inside its own network namespace, so on the host nothing listens on either port, and ' +
    `${CONTAINER_PORT} on the host answers nothing.`,
  containers: {
    web: {
      image: 'busybox',
      network: 'bridge',
      ports: [`127.0.0.1:${HOST_PORT}:${CONTAINER_PORT}`],
      tmpfs: ['/www'],
      args: ['sh', '-c', `echo "hello from the container" > /www/index.html && echo serving && exec httpd -f -p ${CONTAINER_PORT} -h /www`],
      ready: 'serving',
    },
  },
  steps: [
    {
      title: 'Ask the host port',
      say: `The server listens on ${CONTAINER_PORT} inside the container. A connection to the host's ` +
        `127.0.0.1:${HOST_PORT} matches the DNAT rule the engine added, and its destination is rewritten ` +
        `to the container's address, port ${CONTAINER_PORT}.`,
      run: [
        { sh: (lab) => `nft list ruleset | grep 'tslab:${lab.container('web').id}'` },
        { sh: ask(HOST_PORT), mayFail: true },
      ],
      checks: [
        {
          title: 'the host port on 127.0.0.1 gets the container\'s page',
          from: 'outside',
          hint: 'No answer on the host port: was the port published, and is httpd running inside?',
          verify: async (lab) => lab.expect.equal(
            await lab.pollUntil(async () => (await lab.outside(ask(HOST_PORT))).out.trim(), (o) => o === 'hello from the container', 15_000),
            'hello from the container'),
        },
        {
          title: 'the nft rule rewrites the host port to the container\'s address and the container port',
          from: 'outside',
          hint: 'No DNAT rule with these ports: the mapping is not done by the kernel\'s NAT.',
          verify: async (lab) => {
            const ip = /inet (\d+\.\d+\.\d+\.\d+)\//.exec((await lab.inside('web', 'ip -4 -o addr show eth0')).out)?.[1] ?? 'no address';
            const rules = (await lab.outside(`nft list ruleset | grep 'tslab:${lab.container('web').id}' | grep dnat`)).out;
            return lab.expect.that(rules.includes(`dport ${HOST_PORT}`) && rules.includes(`${ip}:${CONTAINER_PORT}`),
              `dport ${HOST_PORT} … dnat to ${ip}:${CONTAINER_PORT}`, rules.trim() || 'no dnat rule');
          },
        },
      ],
    },
    {
      title: 'The container port stays inside',
      say: 'Listening sockets belong to a network namespace. The server\'s socket is in the container\'s: ' +
        `the host's /proc/net/tcp lists no listener on ${CONTAINER_PORT} (nor on ${HOST_PORT}: no proxy), ` +
        'and asking the host for the container\'s port finds nothing. The mapping goes one way only.',
      run: [
        { in: 'web', sh: `grep -i ':${hex(CONTAINER_PORT)} ' /proc/net/tcp /proc/net/tcp6` },
        { sh: ask(CONTAINER_PORT), mayFail: true },
      ],
      checks: [
        {
          title: 'inside, the server listens on the container port, and nothing on the host port',
          from: 'inside',
          hint: 'The listeners inside are not what the mapping says: is httpd in the container\'s own namespace?',
          verify: async (lab) => {
            const ports = listening((await lab.inside('web', 'cat /proc/net/tcp /proc/net/tcp6')).out);
            return lab.expect.equal(`${ports.includes(CONTAINER_PORT)} ${ports.includes(HOST_PORT)}`, 'true false');
          },
        },
        {
          title: 'on the host nothing listens on the container port or the host port',
          from: 'outside',
          hint: (seen) => `${seen}: the server's socket is in the host's network namespace (no network namespace of its own), or a userspace proxy holds the host port.`,
          verify: async (lab) => {
            const ports = await hostListening(lab);
            return lab.expect.equal(`${ports.includes(CONTAINER_PORT) ? `${CONTAINER_PORT} bound` : `${CONTAINER_PORT} free`}, ${ports.includes(HOST_PORT) ? `${HOST_PORT} bound` : `${HOST_PORT} free`}`,
              `${CONTAINER_PORT} free, ${HOST_PORT} free`);
          },
        },
        {
          title: 'the container port on the host\'s 127.0.0.1 does not reach the container',
          from: 'outside',
          hint: 'The container\'s port answers on the host: the server shares the host\'s network namespace.',
          verify: async (lab) => lab.expect.excludes((await lab.outside(ask(CONTAINER_PORT))).out, 'hello from the container'),
        },
      ],
    },
  ],
  controls: [{
    // without a network namespace the engine refuses to attach the container: the lab fails before its steps
    wrapper: 'no-net-ns',
    mustFail: [],
  }],
} satisfies LabDefinition;
