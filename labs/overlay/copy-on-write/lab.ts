import type { LabDefinition } from '../../../src/labs/format.js';

const ADDED = 'lab:x:1000:1000:lab:/home:/bin/sh';

export default {
  title: 'Overlay copy-on-write: writes land in the upper layer',
  summary: 'The container\'s root is an overlay: the image as the read-only lower layer, an empty upper layer ' +
    'of its own on top. Changing a file copies it up first; the image is never touched.',
  containers: { c: { image: 'busybox', rootfs: 'overlay' } },
  keySteps: [{
    step: 'mount', match: { source: /-overlay\/merged$/ },
    say: 'The root the runtime is given is the overlay the lab mounted: the image\'s layers below, this container\'s own upper layer on top. The init bind-mounts it to become its root; every write from now on lands in the upper layer.',
  }],
  steps: [
    {
      title: 'The layers before',
      say: 'The lab mounted overlay with lowerdir = the busybox image, upperdir and workdir = empty folders of this ' +
        'container, and gave the merged mount to the runtime as the bundle\'s rootfs.',
      run: [
        { sh: 'grep " $ROOTFS_C " /proc/self/mountinfo | sed "s/.* - //"' },
        { sh: 'echo "the container\'s /: $(awk \'$5 == "/"\' /proc/$PID_C/mountinfo | sed "s/.* - //")"' },
        { sh: 'echo "upper: $(find "$UPPER_C" -mindepth 1 | wc -l) entries"' },
      ],
      checks: [
        {
          title: 'the container\'s root is an overlay whose lower layer is the image',
          from: 'outside',
          hint: 'The container\'s / is not the lab\'s overlay: the runtime gave it another root (a copy of the image?).',
          verify: (lab) => {
            const c = lab.container('c');
            // the container's own mount namespace (not the lab's mount, which exists whatever the runtime does)
            // (a lab file is loaded on its own: it parses the line itself) fields: ... mount point (5th) ... - fstype source options
            const line = lab.readFile(`/proc/${c.pid}/mountinfo`).split('\n').find((l) => l.split(' ')[4] === '/') ?? '';
            const [fstype = '', , options = ''] = line.split(' - ')[1]?.split(' ') ?? [];
            const lower = /(?:^|,)lowerdir=([^,]+)/.exec(options)?.[1];
            return lab.expect.that(fstype === 'overlay' && lower === c.overlay!.lower, `overlay with lowerdir=${c.overlay!.lower}`,
              line ? `${fstype}${lower ? ` with lowerdir=${lower}` : ''}` : 'no / in its mountinfo');
          },
        },
      ],
    },
    {
      title: 'Write inside',
      say: 'The container adds a user to /etc/passwd, a file of the image, and creates /root/notes. The first write to ' +
        '/etc/passwd makes overlay copy the whole file up into the upper layer; from then on the container sees the copy.',
      run: [{ in: 'c', sh: `echo '${ADDED}' >> /etc/passwd && echo "mine" > /root/notes && tail -n 2 /etc/passwd` }],
      checks: [
        {
          title: 'inside, /etc/passwd has the new line',
          from: 'inside',
          hint: 'The container does not read back what it wrote.',
          verify: async (lab) => lab.expect.includes((await lab.inside('c', 'cat /etc/passwd')).out, ADDED),
        },
        {
          title: 'the changed file was copied up into the upper layer',
          from: 'outside',
          hint: 'The upper layer has no etc/passwd with the new line: the write went somewhere else (is the rootfs the overlay?).',
          verify: (lab) => lab.expect.includes(lab.readFile(`${lab.container('c').overlay!.upper}/etc/passwd`), ADDED),
        },
        {
          title: 'the new file exists only in the upper layer',
          from: 'outside',
          hint: 'root/notes is missing from the upper layer, or it reached the image.',
          verify: (lab) => {
            const o = lab.container('c').overlay!;
            const inUpper = lab.readFile(`${o.upper}/root/notes`).trim() === 'mine';
            const inLower = lab.readFile(`${o.lower}/root/notes`) !== '';
            return lab.expect.that(inUpper && !inLower, 'in upper, not in lower', `upper: ${inUpper ? 'yes' : 'no'}, lower: ${inLower ? 'yes' : 'no'}`);
          },
        },
        {
          title: 'the image (lower layer) is untouched',
          from: 'outside',
          hint: 'The image file changed: the container wrote straight into the image.',
          verify: (lab) => {
            const lower = lab.readFile(`${lab.container('c').overlay!.lower}/etc/passwd`);
            return lab.expect.that(lower.startsWith('root:') && !lower.includes(ADDED), 'the image\'s /etc/passwd without the new line',
              lower.includes(ADDED) ? 'the image\'s /etc/passwd has the new line' : `${lower.split('\n').length - 1} lines, unchanged`);
          },
        },
      ],
    },
    {
      title: 'Your turn: a file of your own',
      say: 'Now you write into the container yourself, from a second terminal, and the lab watches the upper layer ' +
        'until your file shows up there.',
      task: {
        instruction: 'Open a shell in the container and create /root/mine.txt containing hello. Predict first: where on the host will it land?',
        in: 'c',
        command: 'echo hello > /root/mine.txt',
        solution: 'echo hello > /root/mine.txt',
        check: {
          title: 'your file landed in the upper layer',
          from: 'outside',
          hint: 'The upper layer has no root/mine.txt with hello in it.',
          verify: (lab) => {
            const text = lab.readFile(`${lab.container('c').overlay!.upper}/root/mine.txt`).trim();
            return lab.expect.that(text === 'hello', 'upper/root/mine.txt holding hello', text === '' ? 'no root/mine.txt in the upper layer' : `root/mine.txt holds ${text}`);
          },
        },
        hints: [
          { when: 'no root/mine.txt', say: 'Nothing yet: open the shell with the command above, then type the echo line.' },
          { when: 'holds', say: 'The file is there but holds something else: write exactly hello.' },
        ],
      },
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'private-rootfs',
    mustFail: ['the container\'s root is an overlay whose lower layer is the image', 'the changed file was copied up into the upper layer', 'the new file exists only in the upper layer', 'your file landed in the upper layer']
  }],
} satisfies LabDefinition;
