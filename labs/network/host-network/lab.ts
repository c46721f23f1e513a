import type { LabDefinition } from '../../../src/labs/format.js';

// a port picked per run (never in a check's title: the titles must be the same at every load), so parallel runs do not collide (a fixed one could be taken)
const PORT = 20000 + Math.floor(Math.random() * 9000);
const HEX = PORT.toString(16).toUpperCase().padStart(4, '0');
/** lines of /proc/net/tcp{,6} that LISTEN (state 0A) on PORT */
const listeners = (table: string): string[] => table.split('\n').filter((l) => {
  const f = l.trim().split(/\s+/);
  return f[1]?.endsWith(`:${HEX}`) && f[3] === '0A';
});

export default {
  title: 'Host network: the container uses the host\'s network namespace',
  summary: 'docker run --network host creates no network namespace: the container\'s process is in the host\'s ' +
    `own. It sees the host's interfaces, and a server it starts on port ${PORT} is a listening socket in the ` +
    'host\'s socket table, reachable on the host\'s addresses without any NAT.',
  // every namespace of runc's default but the network one
  containers: { c: { image: 'busybox', namespaces: ['pid', 'ipc', 'uts', 'mount', 'cgroup'] } },
  steps: [
    {
      title: 'The same namespace',
      say: 'Each namespace of a process is a link in /proc/<pid>/ns; two processes are in the same namespace when ' +
        'the links name the same inode. The container\'s net link is the host\'s, so inside lists the host\'s ' +
        'interfaces. Its other namespaces (pid, mount, …) are still its own.',
      run: [
        { sh: 'readlink /proc/self/ns/net /proc/$PID_C/ns/net /proc/self/ns/pid /proc/$PID_C/ns/pid' },
        { in: 'c', sh: 'ip -o link | cut -d" " -f2 | head -n 6' },
      ],
      checks: [
        {
          title: 'the container\'s network namespace is the host\'s',
          from: 'outside',
          hint: 'Different net inodes: the container got a network namespace of its own (is "network" still in linux.namespaces?).',
          verify: async (lab) => {
            const [host, c] = (await lab.outside('readlink /proc/self/ns/net /proc/$PID_C/ns/net')).out.split('\n');
            return lab.expect.equal(c ?? '', host ?? '');
          },
        },
        {
          title: 'inside, the interfaces are the host\'s',
          from: 'inside',
          hint: 'Inside lists other interfaces than the host: it is in another network namespace.',
          verify: async (lab) => {
            // names only: "veth1@if7:" names its peer by index or by name, depending on which netns ids the reader's ip knows
            const names = (sh: string): string => sh.split('\n').map((l) => (l.split(' ')[1] ?? '').replace(/(@.*)?:$/, '')).sort().join(' ');
            // other programs add and remove interfaces on a busy host: compare until two reads agree
            const pair = async (): Promise<[string, string]> => [names((await lab.inside('c', 'ip -o link')).out), names((await lab.outside('ip -o link')).out)];
            const [inside, outside] = await lab.pollUntil(pair, ([a, b]) => a === b, 5000);
            return lab.expect.equal(inside, outside);
          },
        },
        {
          title: 'the pid namespace is still the container\'s own',
          from: 'outside',
          hint: 'Only the network namespace is shared with --network host; the pid namespace should differ.',
          verify: async (lab) => {
            const [host, c] = (await lab.outside('readlink /proc/self/ns/pid /proc/$PID_C/ns/pid')).out.split('\n');
            return lab.expect.notEqual(c ?? '', host ?? '');
          },
        },
      ],
    },
    {
      title: 'A server inside listens on a port of the host',
      say: `nc -l -p ${PORT} runs inside the container. Its socket is created in the host's network namespace, so it ` +
        `is a LISTEN line (state 0A, port 0x${HEX}) in the host's /proc/net/tcp, and the host reaches it on ` +
        '127.0.0.1 directly: no veth, no bridge, no DNAT rule.',
      run: [
        { in: 'c', sh: `nc -ll -p ${PORT} -e echo hello-from-the-container </dev/null >/dev/null 2>&1 & echo "nc is pid $! inside"` },
        { sh: `grep -i ":${HEX} " /proc/net/tcp /proc/net/tcp6 || true` },
      ],
      checks: [
        {
          title: 'the host\'s /proc/net/tcp has the server\'s listening socket',
          from: 'outside',
          hint: 'No listener in the host\'s socket table: the server\'s socket lives in another network namespace.',
          verify: async (lab) => {
            const seen = await lab.pollUntil(() => listeners(lab.readFile('/proc/net/tcp') + lab.readFile('/proc/net/tcp6')),
              (l) => l.length > 0, 10_000);
            return lab.expect.atLeast(seen.length, 1);
          },
        },
        {
          title: 'the host connects to it on 127.0.0.1 and the container answers',
          from: 'outside',
          hint: (seen) => `The host got "${seen}": nothing answers on its own loopback.`,
          verify: async (lab) => {
            const said = await lab.pollUntil(async () => (await lab.outside(`busybox nc -w 3 127.0.0.1 ${PORT} </dev/null 2>&1; true`)).out,
              (s) => s.includes('hello-from-the-container'), 10_000);
            return lab.expect.includes(said, 'hello-from-the-container');
          },
        },
      ],
    },
  ],
  controls: [{
    wrapper: 'add-net-ns',
    mustFail: ['the container\'s network namespace is the host\'s', 'inside, the interfaces are the host\'s',
      'the host\'s /proc/net/tcp has the server\'s listening socket', 'the host connects to it on 127.0.0.1 and the container answers'],
  }],
} satisfies LabDefinition;
