import type { LabDefinition, LabContext } from '../../../src/labs/format.js';

// The lab's own container `c` only lends its bundle and root: the steps drive a second container, `x`,
// through every state with the runtime's own commands, as an engine (containerd's shim) does.
const RT = '"$RUNTIME" --root "$RUNTIME_ROOT"';
const X = '"$ID_C-x"';
const B = '"$SCRATCH/x"';
const PROGRAM = ['sh', '-c', 'echo "the program started"; exec sleep 1000000'];
const make = [
  `mkdir -p ${B}`,
  // the same root file system (read-only) and config, another program and cgroup
  `jq --arg c "/$ID_C-x" --argjson args '${JSON.stringify(PROGRAM)}' '.process.args = $args | .linux.cgroupsPath = $c' "$BUNDLE_C/config.json" > ${B}/config.json`,
  `${RT} create --bundle ${B} --pid-file ${B}/pid ${X} > ${B}/output 2>&1 < /dev/null`,
].join(' && ');

interface OciState { status?: string; pid?: number; id?: string }
async function state(lab: LabContext): Promise<OciState> {
  const r = await lab.outside(`${RT} state ${X} 2>/dev/null`);
  try {
    return r.code === 0 ? JSON.parse(r.stdout) as OciState : {};
  } catch {
    return {};
  }
}
const statusIs = (want: string) => async (lab: LabContext): Promise<string> =>
  (await lab.pollUntil(() => state(lab), (s) => s.status === want, 10_000)).status ?? '(no state: the runtime does not know the container)';
/** the freezer's word for x's cgroup: FROZEN / THAWED (v1 freezer.state; v2 cgroup.events frozen 1/0) */
const freezer = (lab: LabContext): string => (lab.host.cgroup === 'v2'
  ? `p=$(sed -n 's/^0:://p' /proc/$(cat ${B}/pid)/cgroup); grep -q "^frozen 1" /sys/fs/cgroup$p/cgroup.events && echo FROZEN || echo THAWED`
  : `p=$(sed -n 's/^[0-9]*:freezer://p' /proc/$(cat ${B}/pid)/cgroup); cat /sys/fs/cgroup/freezer$p/freezer.state`);

export default {
  title: 'The container lifecycle: created, running, paused, stopped, deleted',
  summary: 'An OCI runtime moves a container through five states, and each is a kernel fact: created (namespaces, ' +
    'cgroups and root are set up, the init waits before exec), running (the program runs), paused (the cgroup ' +
    'freezer holds every task), stopped (the init is gone, the container\'s state remains), deleted (the cgroup ' +
    'and the state are gone).',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'create: everything but the program',
      say: '`runtime create` builds the namespaces, the cgroup and the root file system, then leaves the container\'s ' +
        'init waiting just before execve(2). The state says "created" with the init\'s pid; that process is still the ' +
        'runtime\'s own code (runc init, or node for tslab), and the program has printed nothing.',
      run: [
        { sh: make },
        { sh: `${RT} state ${X}; echo "init: $(tr '\\0' ' ' < /proc/$(cat ${B}/pid)/cmdline)"; echo "output so far: $(cat ${B}/output)"` },
      ],
      checks: [
        {
          title: 'created: the OCI state says "created"',
          from: 'outside',
          hint: (seen) => `The state says ${seen}: this runtime ran the program at create (no created state).`,
          verify: async (lab) => lab.expect.equal((await state(lab)).status ?? 'none', 'created'),
        },
        {
          title: 'created: inside, PID 1 is not the program yet',
          from: 'inside',
          hint: 'PID 1 inside already runs sleep: the program was exec\'d before start.',
          verify: async (lab) => lab.expect.notEqual((await lab.outside(`nsenter -t $(cat ${B}/pid) -p -m cat /proc/1/comm`)).out, 'sleep'),
        },
        {
          title: 'created: the program has not printed anything',
          from: 'outside',
          hint: 'The program\'s line is already in its output: it ran before `start`.',
          verify: (lab) => lab.expect.excludes(lab.readFile(`${lab.container('c').bundle}/../x/output`), 'the program started'),
        },
      ],
    },
    {
      title: 'start: the init execs the program',
      say: '`runtime start` tells the waiting init to go on: it execs the program in place, so the pid stays the same ' +
        'and now runs sleep.',
      run: [{ sh: `${RT} start ${X} && ${RT} state ${X} | jq -c '{status, pid}'` }],
      checks: [
        {
          title: 'running: the OCI state says "running"',
          from: 'outside',
          hint: (seen) => `The state says ${seen}.`,
          verify: async (lab) => lab.expect.equal(await statusIs('running')(lab), 'running'),
        },
        {
          title: 'running: the same pid now runs the program',
          from: 'outside',
          hint: 'The pid of the state does not run sleep.',
          verify: async (lab) => {
            const pid = (await state(lab)).pid;
            const comm = await lab.pollUntil(() => lab.readFile(`/proc/${pid}/comm`).trim(), (c) => c === 'sleep', 10_000);
            return lab.expect.that(comm === 'sleep' && String(pid) === lab.readFile(`${lab.container('c').bundle}/../x/pid`).trim(),
              'the create pid, running sleep', `pid ${pid}: ${comm}`);
          },
        },
      ],
    },
    {
      title: 'pause and resume: the freezer',
      say: '`runtime pause` freezes the container\'s cgroup (freezer.state on v1, cgroup.freeze on v2): its tasks stop ' +
        'being scheduled, in a state they cannot notice. `resume` thaws them.',
      run: [
        { sh: `${RT} pause ${X} && ${RT} state ${X} | jq -r .status` },
        { sh: (lab) => freezer(lab) },
      ],
      checks: [
        {
          title: 'paused: the OCI state says "paused" and the freezer says FROZEN',
          from: 'outside',
          hint: (seen) => `Saw ${seen}: pause did not freeze the container's cgroup.`,
          verify: async (lab) => {
            const status = await statusIs('paused')(lab);
            const frozen = await lab.pollUntil(async () => (await lab.outside(freezer(lab))).out, (f) => f === 'FROZEN', 10_000);
            return lab.expect.equal(`${status} ${frozen}`, 'paused FROZEN');
          },
        },
        {
          title: 'resumed: running again, the freezer THAWED',
          from: 'outside',
          hint: (seen) => `Saw ${seen} after resume.`,
          verify: async (lab) => {
            await lab.outside(`${RT} resume ${X}`);
            const status = await statusIs('running')(lab);
            const frozen = await lab.pollUntil(async () => (await lab.outside(freezer(lab))).out, (f) => f === 'THAWED', 10_000);
            return lab.expect.equal(`${status} ${frozen}`, 'running THAWED');
          },
        },
      ],
    },
    {
      title: 'kill: stopped, but not gone',
      say: '`runtime kill X KILL` sends the signal to the init. Once it has died the state says "stopped": the runtime ' +
        'still knows the container (its state folder and cgroup remain) but no process runs. The OCI state has no ' +
        'exit status: the runtime does not wait for the init, the process that does (containerd\'s shim, tslab\'s ' +
        'monitor) records it.',
      run: [{ sh: `${RT} kill ${X} KILL; ${RT} state ${X} | jq -c '{status, pid}'` }],
      checks: [
        {
          title: 'stopped: the OCI state says "stopped"',
          from: 'outside',
          hint: (seen) => `The state says ${seen}.`,
          verify: async (lab) => lab.expect.equal(await statusIs('stopped')(lab), 'stopped'),
        },
      ],
    },
    {
      title: 'delete: the cgroup and the state are gone',
      say: '`runtime delete` removes what was left: the cgroup directory and the runtime\'s state. After it, `state` ' +
        'fails: for the runtime the container never existed.',
      run: [{ sh: `${RT} delete ${X} && echo deleted; ${RT} state ${X} 2>&1 | tail -n 1`, mayFail: true }],
      checks: [
        {
          title: 'deleted: the runtime no longer knows the container',
          from: 'outside',
          hint: 'state still answers after delete.',
          verify: async (lab) => lab.expect.notEqual((await lab.outside(`${RT} state ${X} >/dev/null 2>&1; echo $?`)).out, '0'),
        },
        {
          title: 'deleted: its cgroup directory is gone',
          from: 'outside',
          hint: (seen) => `${seen} still exists: the runtime left the cgroup behind.`,
          verify: async (lab) => {
            const dir = lab.host.cgroup === 'v2' ? `/sys/fs/cgroup/${lab.container('c').id}-x` : `/sys/fs/cgroup/memory/${lab.container('c').id}-x`;
            return lab.expect.equal((await lab.outside(`test -e ${dir} && echo ${dir} || echo gone`)).out, 'gone');
          },
        },
      ],
    },
  ],
  cleanup: [{ sh: `${RT} delete --force ${X} >/dev/null 2>&1; true` }],
  controls: [{
    wrapper: 'start-on-create',
    mustFail: ['created: the OCI state says "created"', 'created: inside, PID 1 is not the program yet', 'created: the program has not printed anything'],
  }],
} satisfies LabDefinition;
