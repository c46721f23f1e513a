import type { LabContext, LabDefinition } from '../../../src/labs/format.js';

// The steps drive the tslab CLI that runs this lab (lab.cli), with a data root of this
// run's own: its containers, names and logs touch nothing else on the host.
const ROOT = `${process.env.TMPDIR ?? '/tmp'}/tslab-lab-shim-root-${process.pid}`;
const OWN = { dataRoot: ROOT };
const tslab = (lab: LabContext): string => lab.cli(OWN);
/** `tslab container …` with the runtime under test */
const run = (lab: LabContext, args: string): string =>
  `${tslab(lab)} container run -d --network none --runtime "${lab.host.runtime}" ${args}`;

/** the container's State as `tslab container inspect` reports it */
async function state(lab: LabContext, name: string): Promise<{ Status?: string; Pid?: number; ExitCode?: number }> {
  const r = await lab.outside(`${tslab(lab)} container inspect ${name}`);
  if (r.code !== 0) return {};
  return (JSON.parse(r.out) as { State: { Status: string; Pid: number; ExitCode: number } }[])[0]!.State;
}

/** every host process whose command line names the id, as "pid comm" (read here, not by a shell whose own command line would name it) */
async function namedBy(lab: LabContext, id: string): Promise<string[]> {
  const pids = (await lab.outside('ls /proc')).out.split(/\s+/).filter((d) => /^\d+$/.test(d));
  return pids.filter((p) => lab.readFile(`/proc/${p}/cmdline`).includes(id))
    .map((p) => `${p} ${lab.readFile(`/proc/${p}/comm`).trim()}`);
}

export default {
  title: 'Engine, shim, runtime: who holds a running container',
  summary: '`tslab container run -d` asks the runtime to create and start the container, then the CLI ' +
    'and the runtime both exit. The container\'s init is re-parented to a small monitor (the shim, a ' +
    'child subreaper) that waits for it and records its exit status: no daemon and no runtime process ' +
    'stay resident, and the CLI is only a client.',
  containers: {},
  steps: [
    {
      title: 'Run a container detached, then look at the process tree',
      say: 'The CLI starts a monitor (tslab-shim), the monitor runs the runtime\'s create and start, and ' +
        'the runtime exits: its child, the container\'s init, is orphaned and the kernel hands it to the ' +
        'nearest child subreaper, the monitor. `run -d` prints the id and the CLI exits too.',
      run: [
        { sh: (lab) => run(lab, '--name shim-demo busybox sleep 100000'), saveAs: 'id' },
        { sh: (lab) => `pid=$(${tslab(lab)} container inspect shim-demo | sed -n 's/.*"Pid": \\([0-9]*\\).*/\\1/p'); ps -o pid,ppid,args -p $pid; ps -o pid,ppid,args -p $(ps -o ppid= -p $pid)` },
      ],
      checks: [
        {
          title: 'the container is running after the CLI that started it exited',
          from: 'outside',
          hint: 'inspect does not say running: did the monitor die with the CLI, or did the runtime\'s start fail? Read the container log in the data root.',
          verify: async (lab) => lab.expect.equal((await state(lab, 'shim-demo')).Status ?? 'missing', 'running'),
        },
        {
          title: 'the init\'s parent is the monitor (tslab-shim), not the runtime',
          from: 'outside',
          hint: (seen) => `the init's parent is "${seen}": a runtime that stays the parent of its containers is a daemon in disguise; the monitor must be a child subreaper (prctl PR_SET_CHILD_SUBREAPER) so the orphaned init comes to it.`,
          verify: async (lab) => {
            const pid = (await state(lab, 'shim-demo')).Pid ?? 0;
            const ppid = /^PPid:\s*(\d+)/m.exec(lab.readFile(`/proc/${pid}/status`))?.[1] ?? '0';
            return lab.expect.includes(lab.readFile(`/proc/${ppid}/cmdline`).replace(/\0/g, ' '), `tslab-shim ${lab.memo.id}`);
          },
        },
        {
          title: 'no runtime process is left: only the monitor and the init name the container',
          from: 'outside',
          hint: (seen) => `processes naming the container: ${seen}. A runtime process that stays resident (waiting on the container, or a daemon) is what the shim design removes: create and start must return.`,
          verify: async (lab) => {
            const pid = String((await state(lab, 'shim-demo')).Pid ?? 0);
            const others = (await namedBy(lab, lab.memo.id!))
              .filter((l) => !/ tslab-shim| perl/.test(l) && l.split(' ')[0] !== pid);
            return lab.expect.equal(others.join(', ') || 'none', 'none');
          },
        },
        {
          title: 'inside, the init is PID 1 and its parent is outside the namespace (PPid 0)',
          from: 'inside',
          hint: 'PPid is not 0: the container shares the host\'s PID namespace, so its parent is visible.',
          verify: async (lab) => lab.expect.matches(
            (await lab.outside(`${tslab(lab)} container exec shim-demo cat /proc/1/status`)).out, /^PPid:\s*0$/m),
        },
      ],
    },
    {
      title: 'Kill a client: the container runs on',
      say: 'Follow the logs (a client that stays attached), then SIGKILL it. Nothing holds the container ' +
        'but the monitor, so it keeps running: the engine is not a process you must keep alive.',
      run: [
        { sh: (lab) => `${tslab(lab)} container logs -f shim-demo >/dev/null 2>&1 </dev/null & echo $!`, saveAs: 'client' },
        // dead once gone or a zombie (its shell has exited: init reaps it, in its own time); bounded: 10 s
        { sh: (lab) => `kill -9 ${lab.memo.client}; n=0; while s=$(sed 's/.*) //' /proc/${lab.memo.client}/stat 2>/dev/null | cut -c1) && [ -n "$s" ] && [ "$s" != Z ] && [ $n -lt 500 ]; do n=$((n+1)); sleep 0.02; done; echo client ${lab.memo.client} killed` },
      ],
      checks: [
        {
          title: 'after the client is killed the container\'s init is still alive and still the monitor\'s child',
          from: 'outside',
          hint: 'The init died with the client: the container was tied to a CLI process, not to its own monitor.',
          verify: async (lab) => {
            const s = await state(lab, 'shim-demo');
            const ppid = /^PPid:\s*(\d+)/m.exec(lab.readFile(`/proc/${s.Pid ?? 0}/status`))?.[1] ?? '0';
            return lab.expect.equal(`${s.Status} ${lab.readFile(`/proc/${ppid}/cmdline`).includes('tslab-shim') ? 'monitor' : 'other'}`, 'running monitor');
          },
        },
      ],
    },
    {
      title: 'The exit status is recorded by the monitor',
      say: 'A second container exits with status 7. Its monitor reaps it (wait4 works only for a parent) ' +
        'and writes the status into the container\'s exit file, which inspect reads long after both are gone.',
      run: [
        { sh: (lab) => run(lab, `--name shim-exit busybox sh -c 'exit 7'`), saveAs: 'exitId' },
      ],
      checks: [
        {
          title: 'inspect reports the container exited with code 7',
          from: 'outside',
          hint: 'No exit code 7: the monitor could not wait for the init (it is not its parent), so the status is unknown (255).',
          verify: async (lab) => {
            const s = await lab.pollUntil(() => state(lab, 'shim-exit'), (x) => x.Status === 'exited', 15_000);
            return lab.expect.equal(`${s.Status} ${s.ExitCode}`, 'exited 7');
          },
        },
        {
          title: 'the monitor wrote 7 into the container\'s exit file and is gone',
          from: 'outside',
          hint: 'The exit file is missing or wrong, or a process still names the container.',
          verify: async (lab) => {
            const file = lab.readFile(`${ROOT}/containers/${lab.memo.exitId}/exit`).split(' ')[0] ?? '';
            // the monitor records the exit, then unmounts the root and ends: on a busy host that takes a moment
            const left = (await lab.pollUntil(() => namedBy(lab, lab.memo.exitId!), (l) => l.length === 0, 15_000)).join(', ');
            return lab.expect.equal(`${file} ${left || 'none'}`, '7 none');
          },
        },
      ],
    },
  ],
  cleanup: [
    { sh: (lab) => lab.removeContainer('shim-demo', OWN), mayFail: true },
    { sh: (lab) => lab.removeContainer('shim-exit', OWN), mayFail: true },
    { sh: () => `rm -rf --one-file-system "${ROOT}"` },
  ],
  controls: [{
    // a runtime that stays resident after start (a watcher naming the container, as a daemon would)
    wrapper: 'lingering-runtime',
    mustFail: ['no runtime process is left: only the monitor and the init name the container'],
  }],
} satisfies LabDefinition;
