import type { LabDefinition } from '../../../src/labs/format.js';

// statfs(2)'s f_type for tmpfs (TMPFS_MAGIC in <linux/magic.h>) and for overlayfs (OVERLAYFS_SUPER_MAGIC)
const TMPFS_MAGIC = '1021994';
const OVERLAY_MAGIC = '794c7630';

export default {
  title: 'tmpfs mount: memory-backed scratch space that never touches the image',
  summary: 'docker run --tmpfs /scratch mounts a tmpfs over /scratch: statfs(2) says TMPFS_MAGIC, files written ' +
    'there live in memory (counted against the container\'s memory cgroup), and nothing of them reaches the ' +
    'container\'s writable overlay layer. They are gone when the container stops.',
  containers: {
    c: {
      image: 'busybox',
      rootfs: 'overlay',
      mounts: [{ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=16m', 'mode=1777'] }],
    },
  },
  steps: [
    {
      title: 'Which file system is where',
      say: 'stat -f calls statfs(2), which names the file system a path is on by its magic number: 0x01021994 is tmpfs, ' +
        '0x794c7630 overlayfs. / is the container\'s overlay; /scratch is a tmpfs of 16 MiB (size=16m) mounted on top.',
      run: [
        { in: 'c', sh: 'stat -f -c "%t %T  /" /; stat -f -c "%t %T  /scratch" /scratch; df -k /scratch | tail -n 1' },
      ],
      checks: [
        {
          title: 'inside, statfs(/scratch) says TMPFS_MAGIC',
          from: 'inside',
          hint: (seen) => `statfs says 0x${seen}: /scratch is not a tmpfs mount (the runtime skipped the mount?).`,
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'stat -f -c %t /scratch 2>&1')).out, TMPFS_MAGIC),
        },
        {
          title: 'inside, / is still the overlay',
          from: 'inside',
          hint: 'The root is not an overlay: the container\'s root file system is not the lab\'s layers.',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'stat -f -c %t /')).out, OVERLAY_MAGIC),
        },
        {
          title: 'the container\'s mount table has a 16 MiB tmpfs on /scratch',
          from: 'outside',
          hint: 'No tmpfs on /scratch in the container\'s mountinfo.',
          verify: (lab) => {
            const line = lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`).split('\n').find((l) => l.split(' ')[4] === '/scratch') ?? '';
            const fs = line.split(' - ')[1] ?? '';
            return lab.expect.that(/^tmpfs /.test(fs) && /size=16384k/.test(fs), 'tmpfs ... size=16384k', fs || 'no mount');
          },
        },
      ],
    },
    {
      title: 'Write to it: nothing lands in the upper layer',
      say: 'A file written to /scratch is a tmpfs page in memory. A file written to /etc goes to the overlay\'s upper ' +
        'directory on the host\'s disk. Only the second one is in the container\'s layer (what docker diff and ' +
        'docker commit see).',
      run: [
        { in: 'c', sh: 'mkdir -p /scratch; echo secret > /scratch/token; echo visible > /etc/note; ls -l /scratch /etc/note', mayFail: true },
        { sh: 'echo "upper: $(cd "$UPPER_C" && find . -mindepth 1 | sort | tr "\\n" " ")"' },
      ],
      checks: [
        {
          title: 'the upper layer has nothing under scratch',
          from: 'outside',
          hint: (seen) => `The upper layer has ${seen}: the file went to the container's layer, not to a tmpfs.`,
          verify: async (lab) => lab.expect.equal((await lab.outside('find "$UPPER_C/scratch" -mindepth 1 2>/dev/null | wc -l')).out, '0'),
        },
        {
          title: 'the upper layer has the /etc write (the layer works)',
          from: 'outside',
          hint: 'The /etc write is not in the upper layer either: the overlay is not the container\'s root.',
          verify: (lab) => lab.expect.equal(lab.readFile(`${lab.container('c').overlay!.upper}/etc/note`).trim(), 'visible'),
        },
        {
          title: 'inside, the file is there',
          from: 'inside',
          hint: 'The file written to /scratch cannot be read back.',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'cat /scratch/token')).out, 'secret'),
        },
      ],
    },
  ],
  controls: [{
    wrapper: 'no-lab-mounts',
    mustFail: ['inside, statfs(/scratch) says TMPFS_MAGIC', 'the container\'s mount table has a 16 MiB tmpfs on /scratch', 'the upper layer has nothing under scratch'],
  }],
} satisfies LabDefinition;
