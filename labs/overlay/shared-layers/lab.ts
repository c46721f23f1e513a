import type { LabDefinition } from '../../../src/labs/format.js';

// the lowerdir of the overlay mounted on / in a process's mountinfo; '' when its root is not an overlay
const rootLowerOf = (mountinfo: string): string => {
  const line = mountinfo.split('\n').find((l) => l.split(' ')[4] === '/') ?? '';
  const [fstype = '', , options = ''] = line.split(' - ')[1]?.split(' ') ?? [];
  return fstype === 'overlay' ? /(?:^|,)lowerdir=([^,]+)/.exec(options)?.[1] ?? '' : '';
};

export default {
  title: 'Shared layers: two containers, one image on disk',
  summary: 'Two containers from the same image stack their own upper layers on one shared lower layer. Both run ' +
    'the very same /bin/busybox file (same inode, one copy on disk and in the page cache), and neither sees the ' +
    'other\'s writes.',
  containers: {
    a: { image: 'busybox', rootfs: 'overlay' },
    b: { image: 'busybox', rootfs: 'overlay' },
  },
  steps: [
    {
      title: 'One lower layer',
      say: 'Each container\'s root is an overlay mount of its own, but both name the same folder as lowerdir.',
      run: [{ sh: 'for p in "$PID_A" "$PID_B"; do awk \'$5 == "/"\' /proc/$p/mountinfo | grep -o "lowerdir=[^,]*" || echo "(/ of $p is not an overlay)"; done' }],
      checks: [
        {
          title: 'both containers\' roots are overlays on the same lower folder',
          from: 'outside',
          hint: 'A container\'s / is not an overlay on the shared lower folder: the image was copied.',
          verify: (lab) => {
            // each container's own mount namespace: the lab's overlay mounts exist whatever the runtime does
            const a = rootLowerOf(lab.readFile(`/proc/${lab.container('a').pid}/mountinfo`));
            const b = rootLowerOf(lab.readFile(`/proc/${lab.container('b').pid}/mountinfo`));
            return lab.expect.that(a !== '' && a === b, 'the same lowerdir twice', `${a || '(none)'} and ${b || '(none)'}`);
          },
        },
      ],
    },
    {
      title: 'One file, two containers',
      say: 'stat(1) inside each container prints the inode of /bin/busybox. For a file that was never copied up, ' +
        'overlay reports the lower file\'s inode number: both containers run the same file.',
      run: [
        { in: 'a', sh: 'stat -c "a: inode %i" /bin/busybox' },
        { in: 'b', sh: 'stat -c "b: inode %i" /bin/busybox' },
        { sh: 'stat -c "image: inode %i" "$LOWER/bin/busybox"' },
      ],
      checks: [
        {
          title: 'both containers see the image\'s /bin/busybox inode',
          from: 'inside',
          hint: 'The inodes differ: each container has its own copy of the image.',
          verify: async (lab) => {
            const a = (await lab.inside('a', 'stat -c %i /bin/busybox')).out;
            const b = (await lab.inside('b', 'stat -c %i /bin/busybox')).out;
            const image = (await lab.outside('stat -c %i "$LOWER/bin/busybox"')).out;
            return lab.expect.that(a === image && b === image, `inode ${image} in both`, `a: ${a}, b: ${b}`);
          },
        },
        {
          title: 'the running processes map the image\'s file',
          from: 'outside',
          hint: 'The containers\' init does not execute the image\'s busybox.',
          verify: async (lab) => {
            const r = await lab.outside('stat -L -c %i /proc/$PID_A/exe /proc/$PID_B/exe "$LOWER/bin/busybox"');
            const [a, b, image] = r.out.split('\n');
            return lab.expect.that(a === image && b === image, `inode ${image} for both`, `a: ${a}, b: ${b}`);
          },
        },
      ],
    },
    {
      title: 'Private writes',
      say: 'a writes /root/from-a. It lands in a\'s upper layer only; b does not see it.',
      run: [{ in: 'a', sh: 'echo hello > /root/from-a' }, { in: 'b', sh: 'ls /root' }],
      checks: [
        {
          title: 'b does not see a\'s file',
          from: 'inside',
          hint: 'b sees a\'s write: they share a writable layer.',
          verify: async (lab) => lab.expect.equal((await lab.inside('b', 'test -e /root/from-a && echo visible || echo absent')).out, 'absent'),
        },
        {
          title: 'a\'s file is in a\'s upper layer only',
          from: 'outside',
          hint: 'The file is not in a\'s upper layer, or it reached b\'s or the image.',
          verify: (lab) => {
            const a = lab.container('a').overlay!;
            const b = lab.container('b').overlay!;
            const where = [['a upper', a.upper], ['b upper', b.upper], ['image', a.lower]]
              .filter(([, dir]) => lab.readFile(`${dir}/root/from-a`) !== '').map(([n]) => n);
            return lab.expect.equal(where.join(', ') || 'nowhere', 'a upper');
          },
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'private-rootfs',
    mustFail: ['both containers\' roots are overlays on the same lower folder', 'both containers see the image\'s /bin/busybox inode', 'the running processes map the image\'s file']
  }],
} satisfies LabDefinition;
