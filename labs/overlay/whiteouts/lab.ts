import type { LabDefinition } from '../../../src/labs/format.js';

export default {
  title: 'Overlay whiteouts: deleting a file of a read-only layer',
  summary: 'The image layer cannot change, so deleting one of its files puts a whiteout in the upper layer: a ' +
    'character device 0:0 that hides the lower file. Removing a directory and making it again makes it opaque.',
  containers: { c: { image: 'busybox', rootfs: 'overlay' } },
  steps: [
    {
      title: 'Delete a file of the image',
      say: 'rm /etc/group inside. Overlay cannot remove it from the lower layer; it creates upper/etc/group as a ' +
        'character device with device number 0:0, which the merged view treats as "not here".',
      run: [
        { in: 'c', sh: 'rm /etc/group; ls /etc' },
        { sh: 'ls -l "$UPPER_C/etc/group"; ls -l "$LOWER/etc/group"' },
      ],
      checks: [
        {
          title: 'inside, /etc/group is gone',
          from: 'inside',
          hint: 'The file is still visible inside after rm.',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'test -e /etc/group && echo present || echo absent')).out, 'absent'),
        },
        {
          title: 'the upper layer has a whiteout: a character device 0:0',
          from: 'outside',
          hint: 'No whiteout in the upper layer: the file was deleted somewhere else (is the rootfs the overlay?).',
          verify: async (lab) => {
            const r = await lab.outside('stat -c "%F %t:%T" "$UPPER_C/etc/group" 2>&1');
            return lab.expect.equal(r.out, 'character special file 0:0');
          },
        },
        {
          title: 'the image still has /etc/group',
          from: 'outside',
          hint: 'The lower layer lost the file: the container deleted it from the image itself.',
          verify: (lab) => lab.expect.notEqual(lab.readFile(`${lab.container('c').overlay!.lower}/etc/group`), ''),
        },
      ],
    },
    {
      title: 'An opaque directory',
      say: 'rm -rf /usr/sbin then mkdir /usr/sbin: the new directory must not show the lower layer\'s files through. ' +
        'Overlay marks upper/usr/sbin opaque with the extended attribute trusted.overlay.opaque = "y".',
      run: [
        { in: 'c', sh: 'rm -rf /usr/sbin && mkdir /usr/sbin && echo "entries now: $(ls -A /usr/sbin | wc -l)"' },
        { sh: 'getfattr --absolute-names -n trusted.overlay.opaque "$UPPER_C/usr/sbin"; echo "lower: $(ls -A "$LOWER/usr/sbin" | wc -l) entries"' },
      ],
      checks: [
        {
          title: 'inside, the new /usr/sbin is empty',
          from: 'inside',
          hint: 'The lower layer\'s files show through the new directory.',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'ls -A /usr/sbin | wc -l')).out, '0'),
        },
        {
          title: 'upper/usr/sbin is marked opaque (trusted.overlay.opaque = y)',
          from: 'outside',
          hint: 'No opaque mark in the upper layer: the directory was not recreated on an overlay.',
          verify: async (lab) => {
            const r = await lab.outside('getfattr --absolute-names --only-values -n trusted.overlay.opaque "$UPPER_C/usr/sbin" 2>&1');
            return lab.expect.equal(r.out, 'y');
          },
        },
        {
          title: 'the image\'s /usr/sbin keeps its files',
          from: 'outside',
          hint: 'The lower /usr/sbin was emptied: the container deleted from the image.',
          verify: async (lab) => lab.expect.atLeast(Number((await lab.outside('ls -A "$LOWER/usr/sbin" | wc -l')).out), 1),
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'private-rootfs',
    mustFail: ['the upper layer has a whiteout: a character device 0:0', 'upper/usr/sbin is marked opaque (trusted.overlay.opaque = y)']
  }],
} satisfies LabDefinition;
