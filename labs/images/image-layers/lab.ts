import type { LabDefinition, LabContext } from '../../../src/labs/format.js';

// Everything happens in the run's scratch folder: a store of the lab's own, the layer tars, and the
// overlay the layered image is mounted on; a second container (x) runs on that overlay.
const PRIVATE = 'TSLAB_DATA_ROOT="$SCRATCH/store" "$TSLAB"';
const RT = '"$RUNTIME" --root "$RUNTIME_ROOT"';
const X = '"$ID_C-x"';
const W = '"$SCRATCH/build"';

// Three layers, as a Dockerfile would make them:
//   FROM busybox                       layer 1: the lab container's root file system
//   RUN echo 2 > /msg; echo hi > /etc/motd   layer 2
//   RUN echo 3 > /msg; rm /etc/motd          layer 3: /msg again, and a whiteout .wh.motd
const BUILD = [
  `mkdir -p ${W}/l2/etc ${W}/l3/etc && cd ${W}`,
  'tar -C "$ROOTFS_C" -cf l1.tar .',
  'echo "from layer 2" > l2/msg && echo hello > l2/etc/motd && tar -C l2 -cf l2.tar ./msg ./etc/motd',
  'echo "from layer 3" > l3/msg && : > l3/etc/.wh.motd && tar -C l3 -cf l3.tar ./msg ./etc/.wh.motd',
  'case $(uname -m) in aarch64) arch=arm64;; *) arch=amd64;; esac',
  'jq -n --arg a "$arch" --arg d1 "sha256:$(sha256sum l1.tar | cut -d" " -f1)" --arg d2 "sha256:$(sha256sum l2.tar | cut -d" " -f1)" ' +
    '--arg d3 "sha256:$(sha256sum l3.tar | cut -d" " -f1)" \'{architecture: $a, os: "linux", config: {Cmd: ["sh"]}, rootfs: {type: "layers", diff_ids: [$d1, $d2, $d3]}}\' > config.json',
  'echo \'[{"Config":"config.json","RepoTags":["lab/layered:v1"],"Layers":["l1.tar","l2.tar","l3.tar"]}]\' > manifest.json',
  'tar -cf image.tar manifest.json config.json l1.tar l2.tar l3.tar',
  `${PRIVATE} image load -i image.tar`,
].join(' && ');
/** the snapshot folders of the image, top layer first (as lowerdir wants them) */
const LOWERS = `${PRIVATE} image inspect lab/layered:v1 | jq -r '.[0].Snapshots | reverse | map("'"$SCRATCH"'/store/snapshots/" + sub("sha256:"; "") + "/fs") | join(":")'`;
const MOUNT = [
  `lower=$(${LOWERS})`,
  'mkdir -p "$SCRATCH/layered/upper" "$SCRATCH/layered/work" "$SCRATCH/layered/merged"',
  'mount -t overlay overlay -o "lowerdir=$lower,upperdir=$SCRATCH/layered/upper,workdir=$SCRATCH/layered/work" "$SCRATCH/layered/merged"',
  // a container on it: the lab container's config with this root, another cgroup
  `mkdir -p "$SCRATCH/x" && jq --arg r "$SCRATCH/layered/merged" --arg c "/$ID_C-x" '.root.path = $r | .linux.cgroupsPath = $c' "$BUNDLE_C/config.json" > "$SCRATCH/x/config.json"`,
  `${RT} create --bundle "$SCRATCH/x" --pid-file "$SCRATCH/x/pid" ${X} >"$SCRATCH/x/output" 2>&1 </dev/null && ${RT} start ${X}`,
  'grep " $SCRATCH/layered/merged " /proc/self/mountinfo | grep -o "lowerdir=[^,]*" | tr ":" "\\n"',
].join(' && ');
const inX = (lab: LabContext, sh: string): Promise<{ out: string }> =>
  lab.outside(`nsenter -t $(cat "$SCRATCH/x/pid") -a sh -c '${sh}' 2>&1`);

export default {
  title: 'Image layers: a stack of snapshots, the top one wins, whiteouts delete',
  summary: 'An image is a list of layer tars applied in order. The store unpacks each into a snapshot folder, ' +
    'and a container\'s root is an overlay with every snapshot as a lowerdir, top layer first: a file in a higher ' +
    'layer hides the same path below, and a ".wh.NAME" entry in a layer tar becomes a 0:0 character device in ' +
    'its snapshot that makes NAME absent.',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'Build a three-layer image',
      say: 'We write what `docker build` would: layer 1 is busybox\'s file system, layer 2 adds /msg and /etc/motd, ' +
        'layer 3 writes /msg again and deletes /etc/motd. A layer cannot delete a file of a lower one, so layer 3\'s ' +
        'tar has an entry etc/.wh.motd (the OCI image spec\'s whiteout). The config lists each tar\'s sha256 as a ' +
        'diff_id; `tslab image load` stores the image in a store of the lab\'s own and unpacks a snapshot per layer.',
      run: [
        { sh: BUILD, timeoutMs: 60_000 },
        { sh: `tar -tvf ${W}/l3.tar; ${PRIVATE} image inspect lab/layered:v1 | jq -c ".[0].RootFS.Layers"` },
      ],
      checks: [
        {
          title: 'the image has three layers, three snapshots',
          from: 'outside',
          hint: (seen) => `Saw ${seen} snapshots: the store merged or dropped layers.`,
          verify: async (lab) => lab.expect.equal((await lab.outside(`${PRIVATE} image inspect lab/layered:v1 | jq '.[0].Snapshots | length'`)).out, '3'),
        },
        {
          title: 'layer 3\'s snapshot has a 0:0 character device where the tar said .wh.motd',
          from: 'outside',
          hint: (seen) => `etc/motd in the top snapshot is "${seen}": the store did not turn the whiteout entry into overlayfs's whiteout.`,
          verify: async (lab) => {
            const top = (await lab.outside(`${LOWERS} | cut -d: -f1`)).out;
            return lab.expect.equal((await lab.outside(`stat -c "%F %t:%T" "${top}/etc/motd" 2>&1; test ! -e "${top}/etc/.wh.motd" || echo "and .wh.motd is still there"`)).out, 'character special file 0:0');
          },
        },
      ],
    },
    {
      title: 'Mount the stack and run a container on it',
      say: 'The snapshots become one overlay: lowerdir=layer3:layer2:layer1 (leftmost is on top), an empty upper for ' +
        'the container. A container (x) runs on that overlay, as the engine would for `run lab/layered:v1`.',
      run: [{ sh: MOUNT }, { sh: `nsenter -t $(cat "$SCRATCH/x/pid") -a sh -c 'cat /msg; ls -l /etc'` }],
      checks: [
        {
          title: 'the overlay\'s lowerdir lists the three snapshots, top layer first',
          from: 'outside',
          hint: (seen) => `lowerdir is ${seen}.`,
          verify: async (lab) => {
            const want = (await lab.outside(LOWERS)).out;
            const seen = (await lab.outside('grep " $SCRATCH/layered/merged " /proc/self/mountinfo | grep -o "lowerdir=[^,]*" | cut -d= -f2')).out;
            return lab.expect.that(seen === want && want.split(':').length === 3, want, seen || 'not mounted');
          },
        },
        {
          title: 'inside, /msg is layer 3\'s: the top layer wins',
          from: 'inside',
          hint: (seen) => `/msg says "${seen}": the layers are stacked in the wrong order.`,
          verify: async (lab) => lab.expect.equal((await inX(lab, 'cat /msg')).out, 'from layer 3'),
        },
        {
          title: 'inside, /etc/motd is absent: the whiteout hides layer 2\'s file',
          from: 'inside',
          hint: (seen) => `/etc/motd is "${seen}": the whiteout was not applied (a device node, or layer 2's file, shows through).`,
          verify: async (lab) => lab.expect.equal((await inX(lab, 'test -e /etc/motd && ls -l /etc/motd || echo absent')).out, 'absent'),
        },
        {
          title: 'layer 2\'s snapshot still has /etc/motd: layers never change',
          from: 'outside',
          hint: 'Layer 2 lost its file: a layer was modified instead of hidden.',
          verify: async (lab) => {
            const mid = (await lab.outside(`${LOWERS} | cut -d: -f2`)).out;
            return lab.expect.equal(lab.readFile(`${mid}/etc/motd`).trim(), 'hello');
          },
        },
      ],
    },
  ],
  cleanup: [
    { sh: `${RT} delete --force ${X} >/dev/null 2>&1; umount "$SCRATCH/layered/merged" 2>/dev/null; true` },
  ],
  controls: [{
    wrapper: 'private-rootfs',
    mustFail: ['inside, /etc/motd is absent: the whiteout hides layer 2\'s file'],
  }],
} satisfies LabDefinition;
