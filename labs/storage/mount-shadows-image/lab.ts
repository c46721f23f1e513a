import type { LabDefinition } from '../../../src/labs/format.js';

export default {
  title: 'A mount shadows the image\'s directory',
  summary: 'docker run -v DIR:/etc/app (or a volume) on a path the image already has hides the image\'s files ' +
    'there: the mount covers the directory in the container\'s mount namespace. The image\'s files are not ' +
    'deleted, only out of sight, and they are back where nothing is mounted.',
  containers: {
    c: {
      image: 'busybox',
      // the image's /var/www has a folder of its own; the lab binds an empty host folder over /var
      mounts: [{ destination: '/var', type: 'bind', source: '$SCRATCH/var', options: ['rbind', 'rw'] }],
    },
  },
  steps: [
    {
      title: 'What the image has, what the container sees',
      say: 'busybox\'s image has /var/spool and /var/www. The lab bound an empty host folder onto /var: inside, ' +
        'ls /var lists the host folder (empty), not the image. The image\'s folder is still in the lower layer, as ' +
        'the host sees it; only the container\'s view of the path changed.',
      run: [
        { sh: 'echo "the image\'s /var: $(ls "$LOWER/var" | tr "\\n" " ")"' },
        { in: 'c', sh: 'echo "inside, /var: [$(ls -A /var | tr "\\n" " ")]"; grep " /var " /proc/self/mountinfo | cut -d" " -f4,5' },
      ],
      checks: [
        {
          title: 'inside, /var is the empty host folder: the image\'s entries are hidden',
          from: 'inside',
          hint: (seen) => `Inside /var lists "${seen}": nothing is mounted over the image's folder.`,
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'ls -A /var | tr "\\n" " "')).out, ''),
        },
        {
          title: 'the image\'s /var still has its folders',
          from: 'outside',
          hint: 'The lower layer lost its /var: the mount changed the image, not the view.',
          verify: async (lab) => lab.expect.includes((await lab.outside('ls "$LOWER/var" | tr "\\n" " "')).out, 'www'),
        },
        {
          title: 'the container\'s mount table has a mount on /var',
          from: 'outside',
          hint: 'No mount on /var: the runtime skipped the bind.',
          verify: (lab) => lab.expect.that(lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`).split('\n').some((l) => l.split(' ')[4] === '/var'),
            'a mount on /var', 'none'),
        },
      ],
    },
    {
      title: 'Write through the mount',
      say: 'A write to /var/log goes to the host folder. When the mount goes (the container is removed), the image\'s ' +
        '/var is what a new container sees again, and the host folder keeps what was written.',
      run: [
        { in: 'c', sh: 'mkdir -p /var/log && echo entry > /var/log/app.log; ls /var', mayFail: true },
        { sh: 'ls "$SCRATCH/var"; echo "image /var still: $(ls "$LOWER/var" | tr "\\n" " ")"' },
      ],
      checks: [
        {
          title: 'the write landed in the host folder, not the image',
          from: 'outside',
          hint: 'The host folder has no log: the write went to the container\'s own layer (no mount).',
          verify: (lab) => lab.expect.equal(lab.readFile(`${lab.container('c').bundle}/../var/log/app.log`).trim(), 'entry'),
        },
      ],
    },
  ],
  controls: [{
    wrapper: 'no-lab-mounts',
    mustFail: ['inside, /var is the empty host folder: the image\'s entries are hidden', 'the container\'s mount table has a mount on /var',
      'the write landed in the host folder, not the image'],
  }],
} satisfies LabDefinition;
