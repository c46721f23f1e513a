import type { LabDefinition, LabContext } from '../../../src/labs/format.js';

const RT = '"$RUNTIME" --root "$RUNTIME_ROOT"';
const NS = ['pid', 'mnt', 'net', 'uts', 'ipc', 'cgroup'];
// the exec'd process reports its own view: namespaces, cgroup, capabilities, pid 1
const REPORT = `for n in ${NS.join(' ')}; do echo "ns $n $(readlink /proc/self/ns/$n)"; done; ` +
  'echo "pid1 $(cat /proc/1/comm)"; echo "mypid $$"; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; echo "host $(hostname)"';
async function execReport(lab: LabContext): Promise<string> {
  if (!lab.memo.exec) lab.memo.exec = (await lab.outside(`${RT} exec "$ID_C" sh -c '${REPORT}'`)).out;
  return lab.memo.exec;
}
const get = (report: string, key: string): string => new RegExp(`^${key}\\s*(.*)$`, 'm').exec(report)?.[1]?.trim() ?? '';

export default {
  title: 'exec: a new process joins a running container',
  summary: 'docker exec is the runtime\'s exec: a new process enters the namespaces of the container\'s init ' +
    '(setns), joins its cgroup, and takes the container\'s capabilities and no_new_privs from config.json. It sees ' +
    'the init as PID 1 and is one more process of the container, not a second container.',
  containers: {
    c: { image: 'busybox', hostname: 'lab-box', args: ['sh', '-c', 'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; echo init-ready; exec sleep 1000000'], ready: 'init-ready' },
  },
  steps: [
    {
      title: 'runtime exec, and what the new process sees',
      say: '`runtime exec ID sh -c …` starts sh in the running container. It prints its namespace links, the name of ' +
        'PID 1, its own pid (small: the container\'s numbering), its capabilities and no_new_privs flag, and the ' +
        'hostname. The host compares with the init\'s.',
      run: [
        { sh: `${RT} exec "$ID_C" sh -c '${REPORT}'`, saveAs: 'exec' },
        { sh: `for n in ${NS.join(' ')}; do echo "init ns $n $(readlink /proc/$PID_C/ns/$n)"; done` },
      ],
      checks: [
        {
          title: 'inside, the exec\'d process has every namespace of the init',
          from: 'inside',
          hint: (seen) => `Different: ${seen}. The runtime did not setns into those namespaces of the init.`,
          verify: async (lab) => {
            const report = await execReport(lab);
            const mismatch: string[] = [];
            for (const n of NS) {
              const init = (await lab.outside(`readlink /proc/$PID_C/ns/${n}`)).out;
              if (get(report, `ns ${n}`) !== init) mismatch.push(`${n}: ${get(report, `ns ${n}`)} vs ${init}`);
            }
            return lab.expect.that(mismatch.length === 0, 'all six equal', mismatch.join(', ') || 'all six equal');
          },
        },
        {
          title: 'inside, PID 1 is the container\'s init and the new process has a small pid',
          from: 'inside',
          hint: (seen) => `Saw ${seen}: the exec'd process is not in the container's PID namespace.`,
          verify: async (lab) => {
            const report = await execReport(lab);
            const pid1 = get(report, 'pid1');
            const mine = Number(get(report, 'mypid'));
            return lab.expect.that(pid1 === 'sleep' && mine > 1 && mine < 100, 'PID 1 sleep, own pid < 100', `PID 1 ${pid1}, own pid ${mine}`);
          },
        },
        {
          title: 'the exec\'d process gets the container\'s capabilities and no_new_privs, not the caller\'s',
          from: 'inside',
          hint: (seen) => `${seen}: the runtime left the exec'd process with the host's privileges.`,
          verify: async (lab) => {
            const report = await execReport(lab);
            const init = lab.container('c').output();
            const pair = (s: string): string => `${get(s, 'CapEff:')} nnp ${get(s, 'NoNewPrivs:')}`;
            return lab.expect.equal(pair(report), pair(init));
          },
        },
        {
          title: 'inside, the hostname is the container\'s',
          from: 'inside',
          hint: 'The exec\'d process sees the host\'s name: it is not in the container\'s UTS namespace.',
          verify: async (lab) => lab.expect.equal(get(await execReport(lab), 'host'), 'lab-box'),
        },
      ],
    },
  ],
  controls: [
    { wrapper: 'no-pid-ns', mustFail: ['inside, PID 1 is the container\'s init and the new process has a small pid'] },
    { wrapper: 'no-uts-ns', mustFail: ['inside, the hostname is the container\'s'] },
  ],
} satisfies LabDefinition;
