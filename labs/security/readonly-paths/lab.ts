import type { LabDefinition } from '../../../src/labs/format.js';

const flagsOf = (mountinfo: string, point: string): string =>
  mountinfo.split('\n').find((l) => l.split(' ')[4] === point)?.split(' ')[5] ?? '';

export default {
  title: 'Read-only paths: /proc/sys cannot be written',
  summary: 'The runtime remounts /proc/sys, /proc/sysrq-trigger and a few others read-only in the container, so ' +
    'even root inside cannot change kernel settings there, including the ones its namespaces would allow.',
  containers: { c: { image: 'busybox', hostname: 'lab-box' } },
  steps: [
    {
      title: 'Try to write a sysctl',
      say: 'kernel.hostname is one of the sysctls that belong to the UTS namespace, so writing it could only ever ' +
        'change the container\'s own name. It still fails: /proc/sys is a read-only bind mount.',
      run: [
        { in: 'c', sh: 'echo renamed > /proc/sys/kernel/hostname; hostname', mayFail: true },
        { in: 'c', sh: 'grep " /proc/sys " /proc/self/mountinfo | cut -d" " -f5,6' },
      ],
      checks: [
        {
          title: 'writing /proc/sys/kernel/hostname fails inside',
          from: 'inside',
          hint: 'The write succeeded: /proc/sys is writable in the container (linux.readonlyPaths ignored?).',
          verify: async (lab) => {
            const r = await lab.inside('c', 'sh -c "echo renamed-again > /proc/sys/kernel/hostname" 2>&1; echo "exit $?"');
            return lab.expect.includes(r.out, 'Read-only file system');
          },
        },
        {
          title: 'the hostname is still the configured one',
          from: 'inside',
          hint: 'The hostname changed through /proc/sys.',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'hostname')).out, 'lab-box'),
        },
        {
          title: 'the container\'s /proc/sys is mounted read-only',
          from: 'outside',
          hint: 'The container\'s mount table has no read-only mount on /proc/sys.',
          verify: (lab) => lab.expect.matches(flagsOf(lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`), '/proc/sys'), /(^|,)ro(,|$)/),
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-readonly-paths',
    mustFail: ['writing /proc/sys/kernel/hostname fails inside', 'the container\'s /proc/sys is mounted read-only']
  }],
} satisfies LabDefinition;
