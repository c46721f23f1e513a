import type { LabContext, LabDefinition } from '../../../src/labs/format.js';

// The steps drive the tslab CLI that runs this lab (lab.cli), with a data root of this
// run's own: its containers and layers touch nothing else on the host.
const ROOT = `${process.env.TMPDIR ?? '/tmp'}/tslab-lab-layer-root-${process.pid}`;
const OWN = { dataRoot: ROOT };
const tslab = (lab: LabContext): string => lab.cli(OWN);
const runBox = (lab: LabContext, name: string): string =>
  `${tslab(lab)} container run -d --network none --runtime "${lab.host.runtime}" --name ${name} busybox sleep 100000`;
const exec = (lab: LabContext, name: string, sh: string): string => `${tslab(lab)} container exec ${name} sh -c '${sh}'`;

/** the overlay folders `container inspect` reports (GraphDriver.Data) */
async function layers(lab: LabContext, name: string): Promise<{ UpperDir?: string; LowerDir?: string }> {
  const r = await lab.outside(`${tslab(lab)} container inspect ${name}`);
  if (r.code !== 0) return {};
  return (JSON.parse(r.out) as { GraphDriver: { Data: { UpperDir: string; LowerDir: string } } }[])[0]!.GraphDriver.Data;
}

export default {
  title: 'The container layer: every change lands in the upperdir, and dies with the container',
  summary: 'A container\'s root is an overlay: the image\'s layers read-only below, one writable folder ' +
    '(the upperdir) of its own on top. A new file, a changed directory and a deleted file all land ' +
    'in that folder (a deletion as a 0:0 character device, a whiteout); `container diff` reads it. ' +
    '`rm` deletes the folder: the image never changed, and the next container starts clean.',
  containers: {},
  steps: [
    {
      title: 'Change the container\'s file system',
      say: 'Add /new.txt and delete /bin/ls inside a running container. The image\'s files are in ' +
        'read-only lower layers: the kernel copies up or records a whiteout in the upperdir instead.',
      run: [
        { sh: (lab) => runBox(lab, 'layered') },
        { sh: (lab) => exec(lab, 'layered', 'echo "made in the container" > /new.txt && rm /bin/ls && ls /new.txt /bin/ls; true') },
        { sh: (lab) => `${tslab(lab)} container inspect layered | grep -E '"(LowerDir|UpperDir)"'` },
      ],
      checks: [
        {
          title: 'inside, /new.txt exists and /bin/ls is gone',
          from: 'inside',
          hint: 'The changes did not happen inside: is the root read-only?',
          verify: async (lab) => lab.expect.equal((await lab.outside(exec(lab, 'layered', 'cat /new.txt; test -e /bin/ls && echo ls-present || echo ls-gone'))).out.trim(), 'made in the container\nls-gone'),
        },
        {
          title: 'the upperdir holds /new.txt, and /bin/ls there is a whiteout (a 0:0 character device)',
          from: 'outside',
          hint: (seen) => `the upperdir shows "${seen}": the container's writes did not go to its own overlay layer (a private copy of the image instead of an overlay?).`,
          verify: async (lab) => {
            const upper = (await layers(lab, 'layered')).UpperDir ?? '/nonexistent';
            const r = await lab.outside(`cat "${upper}/new.txt"; stat -c '%F %t:%T' "${upper}/bin/ls"`);
            return lab.expect.equal(r.out.trim(), 'made in the container\ncharacter special file 0:0');
          },
        },
        {
          title: 'the image\'s lower layer still has /bin/ls and no /new.txt',
          from: 'outside',
          hint: 'The lower layer changed: the container wrote into the image itself.',
          verify: async (lab) => {
            const lower = ((await layers(lab, 'layered')).LowerDir ?? '/nonexistent').split(':')[0];
            const r = await lab.outside(`test -e "${lower}/bin/ls" && echo ls-present; test -e "${lower}/new.txt" && echo new-present; true`);
            return lab.expect.equal(r.out.trim(), 'ls-present');
          },
        },
      ],
    },
    {
      title: 'container diff reads the upperdir',
      say: 'diff lists what the upperdir holds: A for added, C for a directory whose contents changed ' +
        '(it was copied up), D for a whiteout.',
      run: [{ sh: (lab) => `${tslab(lab)} container diff layered`, saveAs: 'diff' }],
      checks: [
        {
          title: 'diff lists A /new.txt and D /bin/ls',
          from: 'outside',
          hint: 'diff does not list the changes: they are not in the container\'s upperdir.',
          verify: (lab) => {
            const lines = (lab.memo.diff ?? '').split('\n');
            return lab.expect.that(lines.includes('A /new.txt') && lines.includes('D /bin/ls'), 'A /new.txt and D /bin/ls', lab.memo.diff || '(nothing)');
          },
        },
      ],
    },
    {
      title: 'Remove the container: its layer goes with it',
      say: '`rm` unmounts the overlay and deletes the bundle with its upperdir. A new container from the ' +
        'same image gets a new, empty upperdir: /bin/ls is back and /new.txt never existed.',
      run: [
        { sh: (lab) => `${tslab(lab)} container inspect layered | sed -n 's/.*"UpperDir": "\\(.*\\)".*/\\1/p'`, saveAs: 'upper' },
        { sh: (lab) => lab.removeContainer('layered', OWN) },
        { sh: (lab) => runBox(lab, 'fresh') },
      ],
      checks: [
        {
          title: 'after rm the old upperdir no longer exists on the host',
          from: 'outside',
          hint: 'The upperdir is still there: rm left the container\'s layer behind.',
          verify: async (lab) => lab.expect.equal((await lab.outside(`test -e "${lab.memo.upper}" && echo present || echo gone`)).out.trim(), 'gone'),
        },
        {
          title: 'inside a new container from the same image, /bin/ls is back and /new.txt is absent',
          from: 'inside',
          hint: 'The new container sees the old one\'s changes: they reached the image.',
          verify: async (lab) => lab.expect.equal((await lab.outside(exec(lab, 'fresh', 'test -e /bin/ls && echo ls-present; test -e /new.txt && echo new-present; true'))).out.trim(), 'ls-present'),
        },
        {
          title: 'the new container\'s diff is empty of /new.txt and /bin/ls',
          from: 'outside',
          hint: 'The new container\'s diff lists the old changes: it shares a layer with the old one.',
          verify: async (lab) => lab.expect.excludes((await lab.outside(`${tslab(lab)} container diff fresh`)).out, '/new.txt'),
        },
      ],
    },
  ],
  cleanup: [
    { sh: (lab) => lab.removeContainer('layered', OWN), mayFail: true },
    { sh: (lab) => lab.removeContainer('fresh', OWN), mayFail: true },
    { sh: () => `rm -rf --one-file-system "${ROOT}"` },
  ],
  controls: [{
    // a private copy of the image as the root, instead of the overlay: no writes reach the upperdir
    wrapper: 'private-rootfs',
    mustFail: [
      'the upperdir holds /new.txt, and /bin/ls there is a whiteout (a 0:0 character device)',
      'diff lists A /new.txt and D /bin/ls',
    ],
  }],
} satisfies LabDefinition;
