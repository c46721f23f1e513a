import type { LabDefinition, LabContext } from '../../../src/labs/format.js';

// A store of the lab's own (TSLAB_DATA_ROOT under the run's scratch folder): tagging never touches the
// machine's images. The image is the lab container's own root file system, imported as one layer.
const PRIVATE = 'TSLAB_DATA_ROOT="$SCRATCH/store" "$TSLAB"';
interface Inspected { Id: string; RepoTags: string[]; ManifestDigest: string; Snapshots?: string[] }
async function inspect(lab: LabContext, ref: string, store = PRIVATE): Promise<Inspected | undefined> {
  const r = await lab.outside(`${store} image inspect '${ref}' 2>/dev/null`);
  try {
    return r.code === 0 ? (JSON.parse(r.stdout) as Inspected[])[0] : undefined;
  } catch {
    return undefined;
  }
}
/** the lowerdir of the container's root mount, as its own mount table has it */
const rootLower = (lab: LabContext): string => {
  const line = lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`).split('\n').find((l) => l.split(' ')[4] === '/') ?? '';
  return /lowerdir=([^,]+)/.exec(line.split(' - ')[1] ?? '')?.[1] ?? `(not an overlay: ${line.split(' - ')[1] ?? 'no root mount'})`;
};

export default {
  title: 'Image names, tags and digests',
  summary: 'An image name is a reference: registry/repository:tag, with defaults filled in (busybox is ' +
    'docker.io/library/busybox:latest). A tag is a movable pointer to a manifest; the manifest\'s digest is the ' +
    'sha256 of its bytes and names the content for good. Two tags, one digest; a reference by digest survives a ' +
    'moved tag.',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'Where the container\'s busybox comes from',
      say: 'The runner resolved "busybox" in the machine\'s store to docker.io/library/busybox:latest, found its layer ' +
        'snapshots and mounted them as the lowerdir of the container\'s overlay root. The container\'s mount table says so.',
      run: [
        { sh: '"$TSLAB" image inspect busybox | jq -c \'.[0] | {RepoTags, ManifestDigest, Snapshots}\'' },
        { in: 'c', sh: 'grep " / / " /proc/self/mountinfo | grep -o "lowerdir=[^,]*"', mayFail: true },
      ],
      checks: [
        {
          title: 'the container\'s root is an overlay on the snapshot the name busybox resolves to',
          from: 'outside',
          hint: (seen) => `The root's lowerdir is ${seen}: the runtime was not given the lab's overlay as root.path.`,
          verify: async (lab) => {
            const snap = (await inspect(lab, 'busybox', '"$TSLAB"'))?.Snapshots?.[0]?.replace('sha256:', '') ?? '?';
            const lower = rootLower(lab);
            return lab.expect.that(lower.split(':').some((d) => d.endsWith(`/snapshots/${snap}/fs`)), `…/snapshots/${snap}/fs`, lower);
          },
        },
        {
          title: 'inside, the root has the image\'s files',
          from: 'inside',
          hint: 'The container\'s root lacks busybox: it is not the image.',
          verify: async (lab) => lab.expect.matches((await lab.inside('c', 'ls /bin/busybox /etc/passwd')).out, /busybox[\s\S]*passwd/),
        },
      ],
    },
    {
      title: 'Normalised names, and two tags on one digest',
      say: 'Into a store of the lab\'s own we import the container\'s root as an image called busybox, then tag it ' +
        'myrepo/app:v1 and localhost:5000/app. A name without a registry gets docker.io, a one-part docker.io name ' +
        'gets library/, a name without a tag gets :latest; localhost:5000 (it has a ":" or a ".") is a registry. ' +
        'All three names point to one manifest: the same digest.',
      run: [
        { sh: `tar -C "$ROOTFS_C" -cf "$SCRATCH/rootfs.tar" . && ${PRIVATE} image import "$SCRATCH/rootfs.tar" busybox` },
        { sh: `${PRIVATE} image tag busybox myrepo/app:v1 && ${PRIVATE} image tag busybox localhost:5000/app && ${PRIVATE} image ls` },
        { sh: 'jq -r \'.manifests[] | "\\(.annotations["org.opencontainers.image.ref.name"])  \\(.digest)"\' "$SCRATCH/store/oci/index.json"' },
        { sh: `${PRIVATE} image inspect busybox | jq -r '.[0].ManifestDigest'`, saveAs: 'old' },
      ],
      checks: [
        {
          title: 'busybox is stored as docker.io/library/busybox:latest',
          from: 'outside',
          hint: (seen) => `The store named it ${seen}.`,
          verify: async (lab) => lab.expect.includes((await inspect(lab, 'busybox'))?.RepoTags.join(' ') ?? 'nothing', 'docker.io/library/busybox:latest'),
        },
        {
          title: 'myrepo/app:v1 and localhost:5000/app name the same manifest digest as busybox',
          from: 'outside',
          hint: (seen) => `Digests: ${seen}. A tag must point at the existing manifest, not at a copy.`,
          verify: async (lab) => {
            const d = await Promise.all(['busybox', 'docker.io/myrepo/app:v1', 'localhost:5000/app:latest'].map(async (r) => (await inspect(lab, r))?.ManifestDigest ?? 'missing'));
            return lab.expect.that(new Set(d).size === 1 && d[0]!.startsWith('sha256:'), 'one digest', d.join(', '));
          },
        },
        {
          title: 'the digest is the sha256 of the manifest\'s bytes in the store',
          from: 'outside',
          hint: 'The blob\'s hash differs from its name: the store is not content-addressed.',
          verify: async (lab) => {
            const digest = (await inspect(lab, 'busybox'))?.ManifestDigest ?? 'sha256:missing';
            const sum = (await lab.outside(`sha256sum "$SCRATCH/store/oci/blobs/sha256/${digest.slice(7)}" | cut -d" " -f1`)).out;
            return lab.expect.equal(`sha256:${sum}`, digest);
          },
        },
      ],
    },
    {
      title: 'Move a tag; the digest stays',
      say: 'myrepo/app:v1 is retagged to another image (a second import, with one file more). The tag now names a new ' +
        'digest, but busybox@<old digest> still resolves to the old manifest: a digest cannot move.',
      run: [
        { sh: 'mkdir -p "$SCRATCH/v2/etc" && echo v2 > "$SCRATCH/v2/etc/release" && tar -C "$ROOTFS_C" -cf "$SCRATCH/v2.tar" . && tar -C "$SCRATCH/v2" -rf "$SCRATCH/v2.tar" ./etc/release' },
        { sh: (lab) => `${PRIVATE} image import "$SCRATCH/v2.tar" myrepo/app:v1 && ${PRIVATE} image inspect myrepo/app:v1 | jq -r '.[0].ManifestDigest'; ` +
          `echo "busybox@${lab.memo.old ?? ''}: $(${PRIVATE} image inspect "busybox@${lab.memo.old ?? ''}" | jq -c '.[0].ManifestDigest')"` },
      ],
      checks: [
        {
          title: 'the moved tag names a new digest, and the old digest still resolves',
          from: 'outside',
          hint: (seen) => `Saw ${seen}.`,
          verify: async (lab) => {
            const old = (await inspect(lab, 'busybox'))?.ManifestDigest ?? '?';
            const moved = (await inspect(lab, 'myrepo/app:v1'))?.ManifestDigest ?? '?';
            const byDigest = (await inspect(lab, `docker.io/library/busybox@${old}`))?.ManifestDigest ?? 'not found';
            return lab.expect.that(moved !== old && byDigest === old, 'v1 → a new digest; busybox@old → old',
              `v1 ${moved.slice(0, 19)}, busybox@${old.slice(0, 19)} → ${byDigest.slice(0, 19)}`);
          },
        },
      ],
    },
  ],
  controls: [{ wrapper: 'private-rootfs', mustFail: ['the container\'s root is an overlay on the snapshot the name busybox resolves to'] }],
} satisfies LabDefinition;
