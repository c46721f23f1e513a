import type { LabContext, LabDefinition } from '../../../src/labs/format.js';

// The steps drive the tslab CLI that runs this lab (lab.cli), with its data root
// (a published port needs the host's one bridge). Names and the port carry this run's pid:
// runs on other checkouts share the kernel.

const APP = `app-${process.pid}`;
const VICTIM = `victim-${process.pid}`;
const PORT = 24000 + (process.pid % 5000);
// the app says two lines (stdout and stderr), and exits as a shell does when SIGTERM ends it
const APP_SCRIPT = 'echo started on stdout; echo and on stderr >&2; trap "exit 143" TERM; sleep 100000 & wait';

interface Inspect {
  Id: string;
  State: { Status: string; Pid: number; ExitCode: number; Paused: boolean };
  LogPath: string;
  GraphDriver: { Data: { MergedDir: string; UpperDir: string } };
}
async function inspect(lab: LabContext, name: string): Promise<Inspect | undefined> {
  const r = await lab.outside(`${lab.cli()} container inspect ${name}`);
  return r.code === 0 ? (JSON.parse(r.out) as Inspect[])[0] : undefined;
}
/** the freezer's word for a process's cgroup: v1 freezer.state, v2 cgroup.events "frozen" */
function freezerOf(lab: LabContext, pid: number): string {
  const lines = lab.readFile(`/proc/${pid}/cgroup`).split('\n');
  const v1 = lines.find((l) => l.split(':')[1] === 'freezer');
  if (v1) return lab.readFile(`/sys/fs/cgroup/freezer${v1.split(':')[2]}/freezer.state`).trim() || 'no freezer.state';
  const v2 = lines.find((l) => l.startsWith('0::'));
  const frozen = /^frozen (\d)/m.exec(lab.readFile(`/sys/fs/cgroup${v2?.slice(3) ?? '/none'}/cgroup.events`))?.[1];
  return frozen === '1' ? 'FROZEN' : frozen === '0' ? 'THAWED' : 'no cgroup.events';
}

export default {
  title: 'The docker commands, and the kernel state behind each',
  summary: 'Every command family through `tslab container`: run, inspect, exec, logs, port, pause and ' +
    'unpause, stop, kill, rm. Each check reads what the command changed where the kernel keeps it: ' +
    'namespace links, the log file, the nft rule, the freezer, the exit status a parent reaps.',
  containers: {},
  steps: [
    {
      title: 'run -d and inspect',
      say: 'run creates the bundle, mounts the overlay, attaches eth0 on the default bridge, publishes ' +
        'the port and starts the init. inspect reads the engine\'s record: the init\'s host pid, the ' +
        'overlay\'s folders, the log path.',
      run: [
        { sh: (lab) => `${lab.cli()} container run -d --runtime "${lab.host.runtime}" --name ${APP} -p 127.0.0.1:${PORT}:80 busybox sh -c '${APP_SCRIPT}'` },
        { sh: (lab) => `${lab.cli()} container ps | grep -E 'NAMES|${APP}'` },
        { sh: (lab) => `${lab.cli()} container inspect ${APP} | grep -E '"(Pid|Status|MergedDir|LogPath)"'` },
      ],
      checks: [
        {
          title: 'inspect\'s Pid is a live host process running the container\'s command',
          from: 'outside',
          hint: 'The pid inspect reports is not the container\'s init: the engine\'s record is stale.',
          verify: async (lab) => {
            const pid = (await inspect(lab, APP))?.State.Pid ?? 0;
            return lab.expect.includes(lab.readFile(`/proc/${pid}/cmdline`).replace(/\0/g, ' '), 'trap "exit 143" TERM');
          },
        },
        {
          title: 'inspect\'s MergedDir is an overlay mount on the host',
          from: 'outside',
          hint: 'MergedDir is not an overlay mount: the root is not the image\'s overlay.',
          verify: async (lab) => {
            const merged = (await inspect(lab, APP))?.GraphDriver.Data.MergedDir ?? '?';
            const line = lab.readFile('/proc/self/mountinfo').split('\n').find((l) => l.split(' ')[4] === merged) ?? '';
            return lab.expect.matches(line, / - overlay /);
          },
        },
      ],
    },
    {
      title: 'exec joins the init\'s namespaces',
      say: 'exec does not start a new container: it enters the namespaces of the running init (setns), ' +
        'so its process sees the same PID, network, mount, UTS and IPC namespaces.',
      run: [{ sh: (lab) => `${lab.cli()} container exec ${APP} sh -c 'for n in pid net mnt uts ipc; do readlink /proc/self/ns/$n; done'` }],
      checks: [
        {
          title: 'inside, an exec\'d process has the init\'s five namespace links',
          from: 'inside',
          hint: (seen) => `exec's namespaces differ from the init's: ${seen}. An exec that does not setns into every namespace runs half outside.`,
          verify: async (lab) => {
            const pid = (await inspect(lab, APP))?.State.Pid ?? 0;
            const mine = (await lab.outside(`${lab.cli()} container exec ${APP} sh -c 'for n in pid net mnt uts ipc; do readlink /proc/self/ns/$n; done'`)).out.trim();
            const init = (await lab.outside(`for n in pid net mnt uts ipc; do readlink /proc/${pid}/ns/$n; done`)).out.trim();
            const host = (await lab.outside('readlink /proc/self/ns/pid')).out.trim();
            return lab.expect.that(mine !== '' && mine === init && !mine.includes(host), 'the init\'s links, not the host\'s', mine.replace(/\n/g, ' '));
          },
        },
      ],
    },
    {
      title: 'logs is the log file',
      say: 'A detached container\'s stdout and stderr go straight into one file (inspect\'s LogPath); ' +
        'logs prints that file. No process relays the output.',
      run: [{ sh: (lab) => `${lab.cli()} container logs ${APP}` }],
      checks: [
        {
          title: 'logs prints what the log file on the host holds: both lines',
          from: 'outside',
          hint: 'logs and the file differ: logs does not read the container\'s log file.',
          verify: async (lab) => {
            const file = lab.readFile((await inspect(lab, APP))?.LogPath ?? '/nonexistent');
            const logs = await lab.pollUntil(async () => (await lab.outside(`${lab.cli()} container logs ${APP}`)).out, (o) => o.includes('and on stderr'), 10_000);
            return lab.expect.that(file.includes('started on stdout') && file.includes('and on stderr') && logs.trim() === file.trim(),
              'the same two lines in both', `file: ${JSON.stringify(file)}, logs: ${JSON.stringify(logs)}`);
          },
        },
      ],
    },
    {
      title: 'port is an nft rule',
      say: 'port lists the published ports; each is a DNAT rule in the host\'s nftables, commented with ' +
        'the container\'s id.',
      run: [
        { sh: (lab) => `${lab.cli()} container port ${APP}`, saveAs: 'port' },
        { sh: (lab) => `nft list ruleset | grep "tslab:$(${lab.cli()} container inspect ${APP} | sed -n 's/.*"Id": "\\(.*\\)".*/\\1/p')" | grep dnat` },
      ],
      checks: [
        {
          title: 'port names the mapping, and a DNAT rule for that host port carries the container\'s id',
          from: 'outside',
          hint: 'port and the ruleset disagree: the published port is not (or no longer) a kernel rule.',
          verify: async (lab) => {
            const id = (await inspect(lab, APP))?.Id ?? '?';
            const rules = (await lab.outside(`nft list ruleset | grep 'tslab:${id}' | grep dnat`)).out;
            return lab.expect.that((lab.memo.port ?? '').includes(`80/tcp -> 127.0.0.1:${PORT}`) && rules.includes(`dport ${PORT}`),
              `"80/tcp -> 127.0.0.1:${PORT}" and a dnat rule for dport ${PORT}`, `${lab.memo.port}; ${rules.trim() || 'no rule'}`);
          },
        },
      ],
    },
    {
      title: 'pause is the freezer',
      say: 'pause writes the cgroup freezer (v1 freezer.state, v2 cgroup.freeze); the kernel stops ' +
        'scheduling every task of the cgroup. unpause thaws it.',
      // mayFail: a pause that cannot freeze is the check's failure to report, not the step's
      run: [{ sh: (lab) => `${lab.cli()} container pause ${APP}`, mayFail: true }],
      checks: [
        {
          title: 'after pause the init\'s cgroup is FROZEN',
          from: 'outside',
          hint: (seen) => `the init's cgroup says ${seen}: pause froze a cgroup the init is not in (did it leave its cgroup?).`,
          verify: async (lab) => {
            const pid = (await inspect(lab, APP))?.State.Pid ?? 0;
            return lab.expect.equal(await lab.pollUntil(() => freezerOf(lab, pid), (s) => s === 'FROZEN', 10_000), 'FROZEN');
          },
        },
      ],
    },
    {
      title: 'unpause, then stop: 143',
      say: 'stop sends SIGTERM (the stop signal) and waits; the app exits as a shell does when SIGTERM ' +
        'ends it, 128+15. PID 1 of a namespace ignores signals it has no handler for, which is why the ' +
        'app traps TERM; without that, stop would SIGKILL it after the grace period.',
      run: [
        { sh: (lab) => `${lab.cli()} container unpause ${APP}`, mayFail: true },
        { sh: (lab) => `${lab.cli()} container stop -t 20 ${APP}` },
      ],
      checks: [
        {
          title: 'after stop the exit code is 143 (128 + SIGTERM)',
          from: 'outside',
          hint: (seen) => `exit code ${seen}: 137 means the grace period ran out and SIGKILL ended it (was it still frozen?).`,
          verify: async (lab) => {
            const s = await lab.pollUntil(() => inspect(lab, APP), (i) => i?.State.Status === 'exited', 15_000);
            return lab.expect.equal(s?.State.ExitCode ?? -1, 143);
          },
        },
      ],
    },
    {
      title: 'kill -9: 137',
      say: 'kill sends SIGKILL (its default), which no process can catch: the monitor reaps a death by ' +
        'signal 9 and records 128+9.',
      run: [
        { sh: (lab) => `${lab.cli()} container run -d --network none --runtime "${lab.host.runtime}" --name ${VICTIM} busybox sleep 100000` },
        { sh: (lab) => `${lab.cli()} container kill ${VICTIM}` },
      ],
      checks: [
        {
          title: 'after kill the exit code is 137 (128 + SIGKILL)',
          from: 'outside',
          hint: (seen) => `exit code ${seen}: the monitor did not reap the init (it is not its parent), so the signal is unknown.`,
          verify: async (lab) => {
            const s = await lab.pollUntil(() => inspect(lab, VICTIM), (i) => i?.State.Status === 'exited', 15_000);
            return lab.expect.equal(s?.State.ExitCode ?? -1, 137);
          },
        },
      ],
    },
    {
      title: 'rm: the rule and the overlay go',
      say: 'rm deletes what run made: the bundle, the upper layer and, for the published port, its rule.',
      run: [{ sh: (lab) => `${lab.cli()} container inspect ${APP} | sed -n 's/.*"Id": "\\(.*\\)".*/\\1/p'`, saveAs: 'appId' }, { sh: (lab) => lab.removeContainer(APP) }],
      checks: [
        {
          title: 'after rm no nft rule names the container and its overlay is unmounted',
          from: 'outside',
          hint: 'Something of the container is left: a rule in nft list ruleset, or its rootfs in /proc/mounts.',
          verify: async (lab) => {
            const id = lab.memo.appId ?? '?';
            const rules = (await lab.outside(`nft list ruleset | grep -c 'tslab:${id}' || true`)).out.trim();
            const mounted = lab.readFile('/proc/self/mountinfo').includes(`/containers/${id}/rootfs `);
            return lab.expect.equal(`${rules} rules, ${mounted ? 'mounted' : 'unmounted'}`, '0 rules, unmounted');
          },
        },
      ],
    },
  ],
  cleanup: [
    { sh: (lab) => lab.removeContainer(APP), mayFail: true },
    { sh: (lab) => lab.removeContainer(VICTIM), mayFail: true },
  ],
  controls: [{
    // the runtime moves the init back to the root cgroups after start: pause freezes an empty cgroup
    wrapper: 'cgroup-escape',
    mustFail: ['after pause the init\'s cgroup is FROZEN'],
  }],
} satisfies LabDefinition;
