import type { LabDefinition } from '../../../src/labs/format.js';

const HOST_ID = 100000;
const uid = (status: string): string => /^Uid:\s*(\d+)/m.exec(status)?.[1] ?? '';

export default {
  title: 'User namespace: root inside cannot read the host\'s root-only files',
  summary: 'The host\'s /etc (with shadow, root only) and /root (mode 0700) are bound into a container whose root is ' +
    'host uid 100000. Root inside has every capability, but only over what its user namespace owns: the kernel ' +
    'checks the file\'s owner, host uid 0, which is not mapped into the namespace, so "Permission denied".',
  containers: {
    c: {
      image: 'busybox',
      idMap: { hostId: HOST_ID, size: 65536 },
      // onto folders the image has (its root is read-only, so no new mount points can be made): the host's
      // /etc at /home, the host's /root at /root
      mounts: [
        { destination: '/home', type: 'bind', source: '/etc', options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'] },
        { destination: '/root', type: 'bind', source: '/root', options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] },
      ],
    },
  },
  steps: [
    {
      title: 'Root inside tries to read them',
      say: 'Our shell enters the container\'s user namespace, so it is uid 0 there with a full capability set, ' +
        'CAP_DAC_OVERRIDE included. That capability lets root ignore permission bits, but only for files whose ' +
        'owner and group are mapped into its namespace. Host root (0) is not: ls shows the owner as 65534 (the ' +
        'overflow id, "nobody"), and open() fails.',
      run: [
        { in: 'c', sh: 'id; grep CapEff /proc/self/status; ls -ln /home/shadow; ls -lnd /root' },
        { in: 'c', sh: 'cat /home/shadow > /dev/null; ls /root', mayFail: true },
        { sh: 'echo "host root: $(wc -l < /etc/shadow) lines in /etc/shadow, $(ls -A /root | wc -l) entries in /root"' },
      ],
      checks: [
        {
          title: 'inside, reading the bound /etc/shadow is denied',
          from: 'inside',
          hint: 'Root inside read the host\'s shadow file: the container has no user namespace (its root is host root).',
          verify: async (lab) => lab.expect.includes((await lab.inside('c', 'cat /home/shadow 2>&1 >/dev/null; echo "exit $?"')).out, 'Permission denied'),
        },
        {
          title: 'inside, listing the bound /root is denied',
          from: 'inside',
          hint: 'Root inside listed /root (mode 0700, host root\'s): its uid 0 is the host\'s uid 0.',
          verify: async (lab) => lab.expect.includes((await lab.inside('c', 'ls /root 2>&1; echo "exit $?"')).out, 'Permission denied'),
        },
        {
          title: 'inside, the file\'s owner shows as the overflow uid 65534',
          from: 'inside',
          hint: (seen) => `The owner shows as ${seen}: host uid 0 is mapped into the container (or there is no user namespace).`,
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'stat -c %u /home/shadow')).out, '65534'),
        },
        {
          title: 'the host sees the container\'s root as uid 100000',
          from: 'outside',
          hint: (seen) => `The container's process is host uid ${seen}: linux.uidMappings was not applied.`,
          verify: (lab) => lab.expect.equal(uid(lab.readFile(`/proc/${lab.container('c').pid}/status`)), HOST_ID),
        },
      ],
    },
  ],
  controls: [{
    wrapper: 'no-user-ns',
    mustFail: ['inside, reading the bound /etc/shadow is denied', 'inside, listing the bound /root is denied',
      'inside, the file\'s owner shows as the overflow uid 65534', 'the host sees the container\'s root as uid 100000'],
  }],
} satisfies LabDefinition;
