import type { LabDefinition } from '../../../src/labs/format.js';

const HOST_ID = 100000;
const uidLine = (status: string): string => /^Uid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).join(' ') ?? '';

export default {
  title: 'User namespace: root inside, an unprivileged id outside',
  summary: 'With a user namespace, uid 0 in the container is uid 100000 on the host: root over the ' +
    'container\'s own namespaces, nobody special on the host. uid_map and gid_map say which ids map where.',
  containers: { c: { image: 'busybox', idMap: { hostId: HOST_ID, size: 65536 } } },
  steps: [
    {
      title: 'Who am I inside?',
      say: 'Inside, the process is root. /proc/self/uid_map has one line: container id 0 starts at host id 100000, ' +
        'for 65536 ids. Files owned by host root are not mapped, so they show as the overflow id 65534 (nobody).',
      run: [{ in: 'c', sh: 'id; cat /proc/self/uid_map /proc/self/gid_map; ls -ln /bin/busybox' }],
      checks: [
        {
          title: 'inside, the process is uid 0',
          from: 'inside',
          hint: 'The runtime must write uid_map before the container\'s process runs.',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'id -u')).out, '0'),
        },
        {
          title: 'uid_map maps container 0 to host 100000, 65536 ids',
          from: 'inside',
          hint: (seen) => (seen.includes('4294967295')
            ? 'uid_map is the identity map of the initial user namespace: no user namespace was created.'
            : 'The runtime wrote another mapping than linux.uidMappings.'),
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'cat /proc/self/uid_map')).out.split(/\s+/).join(' '), `0 ${HOST_ID} 65536`),
        },
        {
          title: 'host root\'s files show as nobody (65534) inside',
          from: 'inside',
          hint: 'Owner 0 means host uid 0 is mapped into the container: that root is the host\'s root.',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'stat -c %u /bin/busybox')).out, '65534'),
        },
      ],
    },
    {
      title: 'Who is it on the host?',
      say: 'The host sees the container\'s PID 1 running as uid 100000: the Uid line of /proc/<pid>/status ' +
        'shows real, effective, saved and filesystem uid.',
      run: [{ sh: 'grep -E "^(Uid|Gid)" /proc/$PID_C/status; cat /proc/$PID_C/uid_map' }],
      checks: [
        {
          title: 'the host sees the container\'s root as uid 100000',
          from: 'outside',
          hint: (seen) => (seen.startsWith('0 ') ? 'The container runs as real root on the host: no user namespace.' : 'Unexpected uid on the host.'),
          verify: (lab) => lab.expect.equal(uidLine(lab.readFile(`/proc/${lab.container('c').pid}/status`)), Array(4).fill(HOST_ID).join(' ')),
        },
        {
          title: 'the container\'s user namespace is not the host\'s',
          from: 'outside',
          hint: 'Same inode in /proc/<pid>/ns/user: no user namespace.',
          verify: async (lab) => {
            const [host, c] = (await lab.outside('readlink /proc/self/ns/user /proc/$PID_C/ns/user')).out.split('\n');
            return lab.expect.notEqual(c ?? '', host ?? '');
          },
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-user-ns',
    mustFail: ['uid_map maps container 0 to host 100000, 65536 ids', 'the host sees the container\'s root as uid 100000', 'host root\'s files show as nobody (65534) inside']
  }],
} satisfies LabDefinition;
