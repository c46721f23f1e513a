import type { LabContext, LabDefinition } from '../../../src/labs/format.js';

// The steps drive the tslab CLI that runs this lab (lab.cli), with a data root of this
// run's own: its volume and containers touch nothing else on the host.
const ROOT = `${process.env.TMPDIR ?? '/tmp'}/tslab-lab-volume-root-${process.pid}`;
const OWN = { dataRoot: ROOT };
const tslab = (lab: LabContext): string => lab.cli(OWN);
const VOL = 'notes';
const DATA = `${ROOT}/volumes/${VOL}/_data`;
const runWithVolume = (lab: LabContext, name: string): string =>
  `${tslab(lab)} container run -d --network none --runtime "${lab.host.runtime}" --name ${name} -v ${VOL}:/data busybox sleep 100000`;
const exec = (lab: LabContext, name: string, sh: string): string => `${tslab(lab)} container exec ${name} sh -c '${sh}'`;

/** "device inode" of a path as stat(2) reports it, seen from inside a container */
async function statInside(lab: LabContext, name: string, path: string): Promise<string> {
  return (await lab.outside(exec(lab, name, `stat -c "%d %i" ${path}`))).out.trim();
}

export default {
  title: 'Named volume: storage that two containers share and that outlives both',
  summary: '`-v notes:/data` makes the engine create <dataRoot>/volumes/notes/_data on the host and bind ' +
    'it at /data. Two containers bound to it see one directory (same device and inode): what one writes ' +
    'the other reads. Removing the containers removes their layers, never the volume.',
  containers: {},
  steps: [
    {
      title: 'Two containers, one volume',
      say: 'Both containers name the same volume. The first use creates its folder on the host; the ' +
        'mount inside is a bind mount of that folder, so both /data are the same directory.',
      run: [
        { sh: (lab) => runWithVolume(lab, 'writer') },
        { sh: (lab) => runWithVolume(lab, 'reader') },
        { sh: (lab) => `${tslab(lab)} volume ls` },
        { sh: (lab) => exec(lab, 'writer', 'grep " /data " /proc/self/mountinfo') },
      ],
      checks: [
        {
          title: 'inside, /data is the same directory in both containers (same device and inode)',
          from: 'inside',
          hint: (seen) => `stat saw ${seen}: each container got a directory of its own, not the volume's folder bound in.`,
          verify: async (lab) => {
            const [w, r] = [await statInside(lab, 'writer', '/data'), await statInside(lab, 'reader', '/data')];
            return lab.expect.that(w !== '' && w === r, 'one device and inode in both', `writer ${w || '?'}, reader ${r || '?'}`);
          },
        },
        {
          title: 'the volume is a folder under the host\'s data root, and /data inside is that inode',
          from: 'outside',
          hint: 'The inode inside differs from the host folder\'s: /data is not a bind mount of the volume.',
          verify: async (lab) => {
            const host = (await lab.outside(`stat -c %i "${DATA}"`)).out.trim();
            const inside = (await statInside(lab, 'writer', '/data')).split(' ')[1] ?? '?';
            return lab.expect.equal(inside, host || 'no volume folder');
          },
        },
      ],
    },
    {
      title: 'What one writes, the other reads',
      say: 'The writer appends a line; the reader reads it at once: there is no copy, one file in one ' +
        'file system, reached through two mounts.',
      run: [
        { sh: (lab) => exec(lab, 'writer', 'echo "written by the writer" > /data/note.txt') },
        { sh: (lab) => exec(lab, 'reader', 'cat /data/note.txt'), mayFail: true },
      ],
      checks: [
        {
          title: 'inside the reader, /data/note.txt holds the writer\'s line',
          from: 'inside',
          hint: 'The reader does not see the file: its /data is not the writer\'s.',
          verify: async (lab) => lab.expect.equal((await lab.outside(exec(lab, 'reader', 'cat /data/note.txt'))).out.trim(), 'written by the writer'),
        },
        {
          title: 'the file is in the volume\'s folder on the host, not in either container\'s layer',
          from: 'outside',
          hint: 'The note is not in the volume folder: the write landed in a container\'s upper layer.',
          verify: (lab) => lab.expect.equal(lab.readFile(`${DATA}/note.txt`).trim(), 'written by the writer'),
        },
      ],
    },
    {
      title: 'Remove both containers: the volume stays',
      say: 'rm deletes each container\'s bundle and upper layer. A named volume belongs to no container: ' +
        'it stays until `volume rm`, and a new container that names it finds the note.',
      run: [
        { sh: (lab) => lab.removeContainer('writer', OWN) },
        { sh: (lab) => lab.removeContainer('reader', OWN) },
        { sh: (lab) => `${tslab(lab)} volume ls; ls -l "${DATA}"` },
        { sh: (lab) => `${tslab(lab)} container run --rm --network none --runtime "${lab.host.runtime}" -v ${VOL}:/data busybox cat /data/note.txt`, saveAs: 'later', mayFail: true },
      ],
      checks: [
        {
          title: 'after both containers are removed the volume folder still holds the note',
          from: 'outside',
          hint: 'The note is gone: the volume was removed with a container (or was never the host folder).',
          verify: (lab) => lab.expect.equal(lab.readFile(`${DATA}/note.txt`).trim(), 'written by the writer'),
        },
        {
          title: 'inside a third container, started later, /data/note.txt is still there',
          from: 'inside',
          hint: 'The new container does not see the note: the volume did not outlive the first two.',
          verify: (lab) => lab.expect.equal(lab.memo.later ?? '', 'written by the writer'),
        },
      ],
    },
    {
      title: 'volume rm ends it',
      say: 'Only an explicit `volume rm` deletes the folder (and it refuses while a container uses it).',
      run: [{ sh: (lab) => `${tslab(lab)} volume rm ${VOL} && ${tslab(lab)} volume ls` }],
      checks: [
        {
          title: 'after volume rm the folder is gone from the host',
          from: 'outside',
          hint: 'The folder is still there: volume rm did not remove it.',
          verify: async (lab) => lab.expect.equal((await lab.outside(`test -e "${DATA}" && echo present || echo gone`)).out.trim(), 'gone'),
        },
      ],
    },
  ],
  cleanup: [
    { sh: (lab) => lab.removeContainer('writer', OWN), mayFail: true },
    { sh: (lab) => lab.removeContainer('reader', OWN), mayFail: true },
    { sh: () => `rm -rf --one-file-system "${ROOT}"` },
  ],
  controls: [{
    // every named volume becomes a tmpfs of each container's own
    wrapper: 'volume-tmpfs',
    mustFail: [
      'inside, /data is the same directory in both containers (same device and inode)',
      'the volume is a folder under the host\'s data root, and /data inside is that inode',
      'inside the reader, /data/note.txt holds the writer\'s line',
      'the file is in the volume\'s folder on the host, not in either container\'s layer',
      'after both containers are removed the volume folder still holds the note',
      'inside a third container, started later, /data/note.txt is still there',
    ],
  }],
} satisfies LabDefinition;
