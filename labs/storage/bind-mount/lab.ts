import type { LabDefinition } from '../../../src/labs/format.js';

export default {
  title: 'Bind mount: a host folder inside the container',
  summary: 'docker run -v HOSTDIR:/data binds a host folder onto /data: one set of inodes reachable from two ' +
    'mount namespaces. A write inside is a write to the host folder (same inode), a write on the host is ' +
    'seen inside at once, and the files stay on the host when the container is removed.',
  containers: {
    // the image's root stays read-only: only the bound folder can be written
    c: { image: 'busybox', mounts: [{ destination: '/data', type: 'bind', source: '$SCRATCH/data', options: ['rbind', 'rw'] }] },
  },
  steps: [
    {
      title: 'Write inside, read on the host',
      say: 'The container writes /data/from-container. On the host the same bytes are in the lab\'s folder ' +
        '($SCRATCH/data), and stat shows the same inode number on the same device: there is no copy, the mount ' +
        'makes the host folder appear at /data in the container\'s mount namespace.',
      run: [
        { in: 'c', sh: 'echo "written inside" > /data/from-container; stat -c "inside:  inode %i  %n" /data/from-container', mayFail: true },
        { sh: 'cat "$SCRATCH/data/from-container"; stat -c "outside: inode %i  %n" "$SCRATCH/data/from-container"', mayFail: true },
      ],
      checks: [
        {
          title: 'the host folder has the file the container wrote',
          from: 'outside',
          hint: 'The host folder is empty: the write went somewhere else (is /data a bind mount of it?).',
          verify: (lab) => lab.expect.equal(lab.readFile(`${lab.container('c').bundle}/../data/from-container`).trim(), 'written inside'),
        },
        {
          title: 'inside and outside, the file has the same inode',
          from: 'inside',
          hint: (seen) => `Inodes ${seen}: two different files, not one file seen twice.`,
          verify: async (lab) => {
            const inside = (await lab.inside('c', 'stat -c %i /data/from-container 2>&1')).out;
            const outside = (await lab.outside('stat -c %i "$SCRATCH/data/from-container" 2>&1')).out;
            return lab.expect.that(inside === outside && /^\d+$/.test(inside), 'one inode number', `${inside} inside, ${outside} outside`);
          },
        },
        {
          title: 'the root file system around it is still read-only',
          from: 'inside',
          hint: 'A write to /etc worked: the root is writable, so the bind mount is not the only way out.',
          verify: async (lab) => lab.expect.includes((await lab.inside('c', 'touch /etc/probe 2>&1; true')).out, 'Read-only file system'),
        },
      ],
    },
    {
      title: 'Write on the host, read inside',
      say: 'The other way round: the host writes a file into the folder and the container reads it immediately. ' +
        'The container\'s mountinfo shows where /data comes from: the root field names the host folder.',
      run: [
        { sh: 'echo "written outside" > "$SCRATCH/data/from-host"' },
        { in: 'c', sh: 'cat /data/from-host; grep " /data " /proc/self/mountinfo | cut -d" " -f4,5', mayFail: true },
      ],
      checks: [
        {
          title: 'inside, the host\'s file is there',
          from: 'inside',
          hint: 'The container does not see the host\'s write: /data is not the host folder.',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'cat /data/from-host 2>&1')).out, 'written outside'),
        },
        {
          title: 'the container\'s mountinfo has a mount on /data from the host folder',
          from: 'outside',
          hint: 'No mount on /data in the container\'s mount namespace.',
          verify: (lab) => {
            const line = lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`).split('\n').find((l) => l.split(' ')[4] === '/data') ?? '';
            return lab.expect.matches(line.split(' ')[3] ?? 'no mount', /\/data$/);
          },
        },
      ],
    },
  ],
  controls: [{
    wrapper: 'no-lab-mounts',
    mustFail: ['the host folder has the file the container wrote', 'inside and outside, the file has the same inode',
      'inside, the host\'s file is there', 'the container\'s mountinfo has a mount on /data from the host folder'],
  }],
} satisfies LabDefinition;
