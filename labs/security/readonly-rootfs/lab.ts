import type { LabDefinition } from '../../../src/labs/format.js';

export default {
  title: 'Read-only root filesystem',
  summary: 'With root.readonly the runtime remounts the container\'s root read-only after pivot_root: nothing can ' +
    'write the image, not even root; scratch space comes from tmpfs mounts such as /dev/shm.',
  // an overlay, so that a runtime that ignores root.readonly can only write this container's upper layer
  containers: { c: { image: 'busybox', rootfs: 'overlay', readonly: true } },
  steps: [
    {
      title: 'Try to write',
      say: 'touch /probe fails with EROFS; a file in /dev/shm (a tmpfs the runtime mounted) works.',
      run: [
        { in: 'c', sh: 'touch /probe; echo "exit $?"', mayFail: true },
        { in: 'c', sh: 'touch /dev/shm/probe && echo "tmpfs is writable"' },
        { in: 'c', sh: 'grep " / / " /proc/self/mountinfo | cut -d" " -f5,6' },
      ],
      checks: [
        {
          title: 'writing to / fails with "Read-only file system"',
          from: 'inside',
          hint: 'The write to / succeeded: root.readonly is not applied.',
          verify: async (lab) => lab.expect.includes((await lab.inside('c', 'touch /probe-2 2>&1; echo "exit $?"')).out, 'Read-only file system'),
        },
        {
          title: 'the container\'s root mount is read-only',
          from: 'outside',
          hint: 'The root mount in the container\'s namespace lacks the ro flag.',
          verify: (lab) => {
            const line = lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`).split('\n').find((l) => l.split(' ')[4] === '/') ?? '';
            return lab.expect.matches(line.split(' ')[5] ?? '', /(^|,)ro(,|$)/);
          },
        },
        {
          title: 'nothing reached the upper layer',
          from: 'outside',
          hint: 'Files were written into the container\'s layer.',
          verify: async (lab) => lab.expect.equal((await lab.outside('ls -A "$UPPER_C" | wc -l')).out, '0'),
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'rw-rootfs',
    mustFail: ['writing to / fails with "Read-only file system"', 'the container\'s root mount is read-only']
  }],
} satisfies LabDefinition;
