import type { LabDefinition, LabContext } from '../../../src/labs/format.js';

// A docker-registry of the lab's own: its storage, config, log and pid under the run's scratch folder,
// on a free loopback port; `cleanup` stops it (by its pid). Pulls go to a store of the lab's own.
const REG = '"$SCRATCH/registry"';
// the registry script beside the image labs (labs/images/registry.sh)
const START = `"$LAB_DIR/../registry.sh" start ${REG}`;
const STOP = `"$LAB_DIR/../registry.sh" stop ${REG}`;
const ADDR = '127.0.0.1:$(cat "$SCRATCH/registry/port")';
// a config of the run's own (TSLAB_CONFIG): the machine's /etc/tslab/config.json is never touched
const CONFIG = '"$SCRATCH/config.json"';
const MIRRORED = `TSLAB_CONFIG=${CONFIG} TSLAB_DATA_ROOT="$SCRATCH/store" "$TSLAB"`;
const field = async (lab: LabContext, cmd: string, jq: string): Promise<string> => (await lab.outside(`${cmd} | jq -r '${jq}'`)).out;
const gets = async (lab: LabContext): Promise<string[]> =>
  (await lab.outside(`grep -o '"GET /v2/[^ ]*' ${REG}/log | cut -c2- | tail -n +$(( $(cat ${REG}/before) + 1 ))`)).out.split('\n').filter(Boolean);

export default {
  title: 'A registry mirror: docker.io pulls served from a local registry',
  summary: 'registry-mirrors in docker\'s daemon.json (registryMirrors in tslab\'s config.json) sends pulls of ' +
    'docker.io images to a mirror first. The image keeps its docker.io name; only the mirror\'s log knows where ' +
    'the bytes came from. The lab runs a mirror on loopback and a config of its own (TSLAB_CONFIG).',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'A mirror that has library/busybox',
      say: 'A mirror is an ordinary registry holding docker.io repositories under their path: library/busybox:latest ' +
        'for "busybox". The lab starts one and pushes the machine\'s busybox into it, then writes a config whose ' +
        'registryMirrors names it.',
      run: [
        { sh: START, timeoutMs: 30_000 },
        { sh: `"$TSLAB" image push busybox ${ADDR}/library/busybox:latest` },
        { sh: `printf '{"registryMirrors": ["http://%s"]}\\n' "${ADDR}" > ${CONFIG}; cat ${CONFIG}; grep -c '"GET /v2/' ${REG}/log > ${REG}/before || true` },
      ],
    },
    {
      title: 'Pull busybox: the mirror answers',
      say: 'tslab image pull busybox, with that config: the name normalises to docker.io/library/busybox:latest, and ' +
        'because docker.io has a mirror, the client asks the mirror for /v2/library/busybox/manifests/latest and the ' +
        'blobs. (This machine has no route to docker.io at all: without the mirror the pull would fail.)',
      run: [
        { sh: `${MIRRORED} image pull busybox` },
        { sh: `grep -o '"GET /v2/[^"]*"' ${REG}/log | tail -n +$(( $(cat ${REG}/before) + 1 ))` },
      ],
      checks: [
        {
          title: 'the mirror\'s log has the pull of library/busybox:latest',
          from: 'outside',
          hint: (seen) => `The mirror saw: ${seen || 'nothing'}. The client did not use registryMirrors.`,
          verify: async (lab) => {
            const seen = await gets(lab);
            const ok = seen.some((g) => g.endsWith('/library/busybox/manifests/latest')) && seen.some((g) => /\/library\/busybox\/blobs\/sha256:/.test(g));
            return lab.expect.that(ok, 'GET /v2/library/busybox/manifests/latest and its blobs', seen.join(', '));
          },
        },
        {
          title: 'the image keeps its docker.io name, with the digest that was pushed',
          from: 'outside',
          hint: (seen) => `Pulled ${seen}.`,
          verify: async (lab) => {
            const pulled = await field(lab, `${MIRRORED} image inspect busybox`, '"\\(.[0].RepoTags[0]) \\(.[0].ManifestDigest)"');
            const machine = await field(lab, '"$TSLAB" image inspect busybox', '.[0].ManifestDigest');
            return lab.expect.equal(pulled, `docker.io/library/busybox:latest ${machine}`);
          },
        },
        {
          title: 'the container\'s root is the snapshot the mirrored image unpacks to',
          from: 'outside',
          hint: (seen) => `The container's lowerdir is ${seen}: its root is not the image's snapshot.`,
          verify: async (lab) => {
            const snap = (await field(lab, `${MIRRORED} image inspect busybox`, '.[0].Snapshots[0]')).replace('sha256:', '');
            const line = lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`).split('\n').find((l) => l.split(' ')[4] === '/') ?? '';
            const lower = /lowerdir=([^,]+)/.exec(line.split(' - ')[1] ?? '')?.[1] ?? (line.split(' - ')[1] ?? 'no root mount');
            return lab.expect.that(lower.endsWith(`/snapshots/${snap}/fs`), `…/snapshots/${snap.slice(0, 12)}…/fs`, lower);
          },
        },
      ],
    },
  ],
  cleanup: [{ sh: STOP }],
  controls: [{ wrapper: 'private-rootfs', mustFail: ['the container\'s root is the snapshot the mirrored image unpacks to'] }],
} satisfies LabDefinition;
