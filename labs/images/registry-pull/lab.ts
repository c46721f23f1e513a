import type { LabDefinition, LabContext } from '../../../src/labs/format.js';

// A docker-registry of the lab's own: its storage, config, log and pid under the run's scratch folder,
// on a free loopback port; `cleanup` stops it (by its pid). Pulls go to a store of the lab's own.
const REG = '"$SCRATCH/registry"';
// the registry script beside the image labs (labs/images/registry.sh)
const START = `"$LAB_DIR/../registry.sh" start ${REG}`;
const STOP = `"$LAB_DIR/../registry.sh" stop ${REG}`;
const ADDR = '127.0.0.1:$(cat "$SCRATCH/registry/port")';
const PRIVATE = 'TSLAB_DATA_ROOT="$SCRATCH/store" "$TSLAB"';
const field = async (lab: LabContext, cmd: string, jq: string): Promise<string> => (await lab.outside(`${cmd} | jq -r '${jq}'`)).out;

export default {
  title: 'A registry: push, pull by tag and by digest',
  summary: 'A registry is an HTTP server of blobs and manifests (the OCI distribution spec): push uploads each ' +
    'blob, then the manifest under a tag; pull asks for the manifest by tag (or digest) and then each blob by its ' +
    'digest. The bytes are the same at every step, so the digest is too.',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'Start a registry and push busybox to it',
      say: 'docker-registry (the CNCF distribution server) listens on a free port of 127.0.0.1. tslab image push sends ' +
        'the config and the layer blob (POST/PUT /v2/<name>/blobs/uploads/), then the manifest (PUT ' +
        '/v2/<name>/manifests/v1). The registry stores each blob under its sha256.',
      run: [
        { sh: START, timeoutMs: 30_000 },
        { sh: `"$TSLAB" image push busybox ${ADDR}/lab/busybox:v1` },
        { sh: `find ${REG}/data/docker/registry/v2/blobs -name data | sed "s#.*/blobs/##"` },
      ],
      checks: [
        {
          title: 'the registry stores the manifest under its digest, byte for byte',
          from: 'outside',
          hint: (seen) => `Saw ${seen}: the registry holds other bytes than the store's manifest.`,
          verify: async (lab) => {
            const digest = await field(lab, '"$TSLAB" image inspect busybox', '.[0].ManifestDigest');
            const hex = digest.slice(7);
            const stored = (await lab.outside(`sha256sum ${REG}/data/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data 2>&1 | cut -d" " -f1`)).out;
            return lab.expect.equal(`sha256:${stored}`, digest);
          },
        },
      ],
    },
    {
      title: 'Pull it into an empty store',
      say: 'A store of the lab\'s own pulls 127.0.0.1:<port>/lab/busybox:v1. The registry\'s access log shows the ' +
        'protocol: GET the manifest by tag, then GET each blob by digest (config, layer).',
      run: [
        { sh: `${PRIVATE} image pull ${ADDR}/lab/busybox:v1` },
        { sh: `grep -o '"GET /v2/[^"]*"' ${REG}/log` },
      ],
      checks: [
        {
          title: 'the pulled image has the digest that was pushed',
          from: 'outside',
          hint: (seen) => `Pulled ${seen}.`,
          verify: async (lab) => lab.expect.equal(await field(lab, `${PRIVATE} image inspect ${ADDR}/lab/busybox:v1`, '.[0].ManifestDigest'),
            await field(lab, '"$TSLAB" image inspect busybox', '.[0].ManifestDigest')),
        },
        {
          title: 'the registry log has the manifest fetched by tag, then blobs by digest',
          from: 'outside',
          hint: (seen) => `The log has: ${seen}.`,
          verify: async (lab) => {
            const gets = (await lab.outside(`grep -o '"GET /v2/[^ ]*' ${REG}/log | cut -c2-`)).out.split('\n');
            const manifest = gets.findIndex((g) => g.endsWith('/lab/busybox/manifests/v1'));
            const blobs = gets.filter((g, i) => i > manifest && /\/blobs\/sha256:[0-9a-f]{64}$/.test(g));
            return lab.expect.that(manifest >= 0 && blobs.length >= 2, 'GET …/manifests/v1, then 2 GET …/blobs/sha256:…', gets.join(', '));
          },
        },
        {
          title: 'the container\'s root is the snapshot the pulled image unpacks to',
          from: 'outside',
          hint: (seen) => `The container's lowerdir is ${seen}: its root is not the image's snapshot.`,
          verify: async (lab) => {
            const snap = (await field(lab, `${PRIVATE} image inspect ${ADDR}/lab/busybox:v1`, '.[0].Snapshots[0]')).replace('sha256:', '');
            const line = lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`).split('\n').find((l) => l.split(' ')[4] === '/') ?? '';
            const lower = /lowerdir=([^,]+)/.exec(line.split(' - ')[1] ?? '')?.[1] ?? (line.split(' - ')[1] ?? 'no root mount');
            return lab.expect.that(lower.endsWith(`/snapshots/${snap}/fs`), `…/snapshots/${snap.slice(0, 12)}…/fs`, lower);
          },
        },
      ],
    },
    {
      title: 'Pull by digest',
      say: 'name@sha256:<digest> asks the registry for exactly those bytes (GET /v2/lab/busybox/manifests/sha256:…): ' +
        'whatever v1 points to later, this reference names the same image.',
      run: [{ sh: `TSLAB_DATA_ROOT="$SCRATCH/store2" "$TSLAB" image pull "${ADDR}/lab/busybox@$("$TSLAB" image inspect busybox | jq -r '.[0].ManifestDigest')"` }],
      checks: [
        {
          title: 'the registry served the manifest by digest',
          from: 'outside',
          hint: 'No GET of the manifest by digest in the log.',
          verify: async (lab) => lab.expect.matches((await lab.outside(`grep -o '"GET /v2/lab/busybox/manifests/sha256:[^ ]*' ${REG}/log | tail -n 1`)).out,
            /manifests\/sha256:[0-9a-f]{64}$/),
        },
      ],
    },
  ],
  cleanup: [{ sh: STOP }],
  controls: [{ wrapper: 'private-rootfs', mustFail: ['the container\'s root is the snapshot the pulled image unpacks to'] }],
} satisfies LabDefinition;
