import type { LabDefinition } from '../../../../../src/labs/format.js';

// A container entry written as `tslab container run` takes it: a bridge network, a published port and
// a volume, so the engine (not a lab step) attaches it. A free-ish port per run: runs may overlap.
const PORT = 21000 + (process.pid % 4000);
const fetchHome = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 127.0.0.1 ${PORT} | tail -n 1`;

export default {
  title: 'A lab container on the default bridge with a published port and a volume',
  summary: 'The engine leases an address, attaches eth0 between create and start, publishes the port, and releases all of it when the lab ends.',
  containers: {
    web: {
      image: 'busybox',
      network: 'bridge',
      ports: [`127.0.0.1:${PORT}:80`],
      tmpfs: ['/www'],
      args: ['sh', '-c', 'echo "hello from the container" > /www/index.html && echo serving && exec httpd -f -p 80 -h /www'],
      ready: 'serving',
    },
  },
  steps: [
    {
      title: 'Ask the host port',
      say: 'Nobody listens on the host port: the NAT rules send the connection to the container.',
      checks: [
        {
          title: 'the container has an address on eth0',
          from: 'inside',
          hint: 'the engine did not attach the network between create and start',
          verify: async (lab) => lab.expect.matches((await lab.inside('web', 'ip -4 addr show eth0')).out, /inet \d+\.\d+\.\d+\.\d+/),
        },
        {
          title: 'the published port answers from the container',
          from: 'outside',
          hint: 'the port was not published',
          verify: async (lab) => lab.expect.equal(
            await lab.pollUntil(async () => (await lab.outside(fetchHome)).out, (out) => out === 'hello from the container', 15_000),
            'hello from the container'),
        },
      ],
    },
  ],
  controls: [],
} satisfies LabDefinition;
