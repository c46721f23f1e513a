import type { LabDefinition, LabContext } from '../../../src/labs/format.js';

// The machine's store, read only: its OCI layout is beside the snapshots the container's root uses
// (<data root>/oci and <data root>/snapshots/<id>/fs).
const ROOT = 'root=$(dirname "$(dirname "$(dirname "${LOWER%%:*}")")"); oci="$root/oci"';
const NAME = 'docker.io/library/busybox:latest';
const manifestDigest = `jq -r --arg n ${NAME} '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | .digest' "$oci/index.json"`;
const blob = (digest: string): string => `"$oci/blobs/sha256/$(echo ${digest} | cut -d: -f2)"`;
const M = `m=$(${manifestDigest})`;
const C = `c=$(jq -r .config.digest ${blob('$m')})`;
const L = `l=$(jq -r '.layers[0].digest' ${blob('$m')})`;
const sh = (lab: LabContext, script: string): Promise<string> => lab.outside(`${ROOT}; ${M}; ${C}; ${L}; ${script}`).then((r) => r.out);

export default {
  title: 'The image spec: index, manifest, config, layers',
  summary: 'The OCI image spec is four kinds of JSON and tar, each named by the sha256 of its bytes: an index ' +
    '(names → manifests), a manifest (one config, a list of layers), a config (the runtime defaults and the ' +
    'diff_ids, sha256 of each uncompressed layer) and the layers (gzipped tars). The container\'s root is made from ' +
    'exactly those layers.',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'index.json → manifest',
      say: 'The store is an OCI layout: oci-layout, index.json and blobs/sha256/<hex>. index.json maps each name ' +
        '(the annotation org.opencontainers.image.ref.name) to a manifest descriptor: mediaType, digest, size. The ' +
        'manifest is a blob: its file\'s sha256 is its name and its size is the descriptor\'s.',
      run: [
        { sh: `${ROOT}; ls "$oci"; cat "$oci/oci-layout"; echo; jq -c --arg n ${NAME} '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n)' "$oci/index.json"` },
        { sh: `${ROOT}; ${M}; jq . ${blob('$m')}` },
      ],
      checks: [
        {
          title: 'the manifest blob\'s sha256 and size are the ones index.json gives',
          from: 'outside',
          hint: (seen) => `Saw ${seen}: a blob whose hash is not its name has been altered.`,
          verify: async (lab) => {
            const seen = await sh(lab, `echo "sha256:$(sha256sum ${blob('$m')} | cut -d" " -f1) $(stat -c %s ${blob('$m')})"; ` +
              `jq -r --arg n ${NAME} '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | "\\(.digest) \\(.size)"' "$oci/index.json"`);
            const [actual, declared] = seen.split('\n');
            return lab.expect.that(!!actual && actual === declared, declared ?? '?', actual ?? '?');
          },
        },
      ],
    },
    {
      title: 'manifest → config and layers',
      say: 'The manifest names the config (application/vnd.oci.image.config.v1+json) and the layers (…layer.v1.tar+gzip), ' +
        'each by digest. The config holds what the runtime spec is made from (Env, Cmd, WorkingDir, User) and ' +
        'rootfs.diff_ids: the sha256 of each layer *uncompressed*, which is what the snapshot is named after. The ' +
        'layer\'s own digest is of the gzip bytes: two names for one layer.',
      run: [
        { sh: `${ROOT}; ${M}; ${C}; jq -c '{architecture, os, config, rootfs}' ${blob('$c')}` },
        { sh: `${ROOT}; ${M}; ${L}; echo "layer digest (gzip):   $l"; echo "sha256 of gunzip:      sha256:$(gunzip -c ${blob('$l')} | sha256sum | cut -d" " -f1)"` },
      ],
      checks: [
        {
          title: 'the layer, uncompressed, hashes to the config\'s diff_id',
          from: 'outside',
          hint: (seen) => `Saw ${seen}.`,
          verify: async (lab) => {
            const [diffId, unzipped] = (await sh(lab, `jq -r '.rootfs.diff_ids[0]' ${blob('$c')}; echo "sha256:$(gunzip -c ${blob('$l')} | sha256sum | cut -d" " -f1)"`)).split('\n');
            return lab.expect.that(!!diffId && diffId === unzipped, diffId ?? '?', unzipped ?? '?');
          },
        },
        {
          title: 'the container\'s root is an overlay on the snapshot named by that diff_id',
          from: 'outside',
          hint: (seen) => `The container's root is ${seen}: not the image's snapshot (the runtime used another root).`,
          verify: async (lab) => {
            const diffId = (await sh(lab, `jq -r '.rootfs.diff_ids[0]' ${blob('$c')}`)).replace('sha256:', '');
            const line = lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`).split('\n').find((l) => l.split(' ')[4] === '/') ?? '';
            const lower = /lowerdir=([^,]+)/.exec(line.split(' - ')[1] ?? '')?.[1] ?? (line.split(' - ')[1] ?? 'no root mount');
            return lab.expect.that(lower.endsWith(`/snapshots/${diffId}/fs`), `…/snapshots/${diffId.slice(0, 12)}…/fs`, lower);
          },
        },
        {
          title: 'inside, /bin/busybox is the bytes the layer tar holds',
          from: 'inside',
          hint: 'The container\'s busybox differs from the layer\'s: its root is not built from this image.',
          verify: async (lab) => {
            const inside = (await lab.inside('c', 'sha256sum /bin/busybox | cut -d" " -f1')).out;
            const layer = await sh(lab, `gunzip -c ${blob('$l')} | tar -xOf - bin/busybox 2>/dev/null | sha256sum | cut -d" " -f1`);
            return lab.expect.equal(inside, layer);
          },
        },
      ],
    },
  ],
  controls: [{ wrapper: 'private-rootfs', mustFail: ['the container\'s root is an overlay on the snapshot named by that diff_id'] }],
} satisfies LabDefinition;
