import type { LabDefinition, LabContext } from '../../../src/labs/format.js';

// A docker-registry of the lab's own, with htpasswd authentication: its storage, config, log and pid under the run's scratch folder,
// on a free loopback port; `cleanup` stops it (by its pid). Pulls go to a store of the lab's own.
const REG = '"$SCRATCH/registry"';
// the registry script beside the image labs (labs/images/registry.sh)
const START = `"$LAB_DIR/../registry.sh" start ${REG} student s3cret`;
const STOP = `"$LAB_DIR/../registry.sh" stop ${REG}`;
const ADDR = '127.0.0.1:$(cat "$SCRATCH/registry/port")';
// two stores of the lab's own: one pushes (it holds a copy of the machine's busybox), one pulls
const ONE = 'TSLAB_DATA_ROOT="$SCRATCH/one" "$TSLAB"';
const TWO = 'TSLAB_DATA_ROOT="$SCRATCH/two" "$TSLAB"';
const IMAGE = `${ADDR}/lab/busybox:v1`;
const code = async (lab: LabContext, sh: string): Promise<string> => (await lab.outside(`${sh} >/dev/null 2>&1; echo $?`)).out;

export default {
  title: 'An authenticated registry: login, push, pull',
  summary: 'A registry with htpasswd authentication answers 401 to anonymous requests. tslab login (docker login) ' +
    'checks a user and password against it and saves them, base64-encoded, in the store\'s auth.json; push and ' +
    'pull then send them. Another store, without the login, is refused.',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'A registry that wants a password',
      say: 'docker-registry with an htpasswd file (user student, bcrypt-hashed password). A push before logging in is ' +
        'refused: the registry answers 401 with a WWW-Authenticate header naming the realm.',
      run: [
        { sh: START, timeoutMs: 30_000 },
        { sh: `"$TSLAB" image save busybox -o "$SCRATCH/busybox.tar" && ${ONE} image load -i "$SCRATCH/busybox.tar" && ${ONE} image tag busybox ${IMAGE}` },
        { sh: `${ONE} image push ${IMAGE}`, mayFail: true },
      ],
      checks: [
        {
          title: 'an anonymous push is refused with 401',
          from: 'outside',
          hint: (seen) => `Saw ${seen}: the registry accepted an anonymous request (is auth in its config?).`,
          verify: async (lab) => {
            const pushed = await code(lab, `${ONE} image push ${IMAGE}`);
            const denied = (await lab.outside(`grep -c '" 401 ' ${REG}/log || true`)).out;
            return lab.expect.that(pushed !== '0' && Number(denied) > 0, 'push fails, 401s in the log', `push exit ${pushed}, ${denied} 401 answers`);
          },
        },
      ],
    },
    {
      title: 'login, then push',
      say: 'tslab login with a wrong password fails (the registry is asked first); with the right one it saves the ' +
        'credentials in auth.json: {"auths": {"127.0.0.1:<port>": {"auth": base64("student:s3cret")}}}. That is an ' +
        'encoding, not encryption: anyone who can read the file has the password (why docker has credential helpers).',
      run: [
        { sh: `echo wrong | ${ONE} login ${ADDR} -u student --password-stdin; echo "exit $?"`, mayFail: true },
        { sh: `echo s3cret | ${ONE} login ${ADDR} -u student --password-stdin && jq . "$SCRATCH/one/auth.json"` },
        { sh: `${ONE} image push ${IMAGE}` },
      ],
      checks: [
        {
          title: 'a wrong password is refused at login',
          from: 'outside',
          hint: 'The login with a wrong password succeeded: the client did not check it against the registry.',
          verify: async (lab) => lab.expect.notEqual(await code(lab, `echo wrong | TSLAB_DATA_ROOT="$SCRATCH/probe" "$TSLAB" login ${ADDR} -u student --password-stdin`), '0'),
        },
        {
          title: 'auth.json holds the user and password, base64-encoded',
          from: 'outside',
          hint: (seen) => `auth.json has ${seen}.`,
          verify: async (lab) => {
            const auth = (await lab.outside(`jq -r --arg r "${ADDR}" '.auths[$r].auth // "none"' "$SCRATCH/one/auth.json" | base64 -d 2>/dev/null`)).out;
            return lab.expect.equal(auth, 'student:s3cret');
          },
        },
        {
          title: 'after login the push is accepted',
          from: 'outside',
          hint: 'The push failed although logged in: the client did not send the credentials.',
          verify: async (lab) => lab.expect.equal(await code(lab, `${ONE} image push ${IMAGE}`), '0'),
        },
      ],
    },
    {
      title: 'Pull: only with a login',
      say: 'A second store pulls the image: refused without a login, accepted with one; the digest is the one pushed, ' +
        'and the image unpacks to the very snapshot the lab container\'s root is made of.',
      run: [
        { sh: `${TWO} image pull ${IMAGE}; echo "without login: exit $?"`, mayFail: true },
        { sh: `echo s3cret | ${TWO} login ${ADDR} -u student --password-stdin && ${TWO} image pull ${IMAGE}` },
      ],
      checks: [
        {
          title: 'a store without the login cannot pull',
          from: 'outside',
          hint: 'An anonymous pull worked: the registry serves without authentication.',
          verify: async (lab) => lab.expect.notEqual(await code(lab, `TSLAB_DATA_ROOT="$SCRATCH/probe" "$TSLAB" image pull ${IMAGE}`), '0'),
        },
        {
          title: 'the container\'s root is the snapshot the pulled image unpacks to',
          from: 'outside',
          hint: (seen) => `The container's lowerdir is ${seen}: its root is not the image's snapshot.`,
          verify: async (lab) => {
            const snap = (await lab.outside(`${TWO} image inspect ${IMAGE} | jq -r '.[0].Snapshots[0]'`)).out.replace('sha256:', '');
            const line = lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`).split('\n').find((l) => l.split(' ')[4] === '/') ?? '';
            const lower = /lowerdir=([^,]+)/.exec(line.split(' - ')[1] ?? '')?.[1] ?? (line.split(' - ')[1] ?? 'no root mount');
            return lab.expect.that(snap.length === 64 && lower.endsWith(`/snapshots/${snap}/fs`), `…/snapshots/${snap.slice(0, 12)}…/fs`, lower);
          },
        },
      ],
    },
  ],
  cleanup: [{ sh: STOP }],
  controls: [{ wrapper: 'private-rootfs', mustFail: ['the container\'s root is the snapshot the pulled image unpacks to'] }],
} satisfies LabDefinition;
