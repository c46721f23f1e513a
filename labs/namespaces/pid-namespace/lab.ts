import type { LabDefinition } from '../../../src/labs/format.js';

// NSpid in /proc/<pid>/status lists the pid in every pid namespace from the host's down to the process's own.
const nspid = (status: string): string => /^NSpid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).join(' ') ?? '';

export default {
  title: 'PID namespace: PID 1 inside, a normal pid outside',
  summary: 'A container gets its own PID namespace: its first process is PID 1 and it cannot see the ' +
    'host\'s processes, while the host sees the same process under an ordinary pid.',
  containers: { c: { image: 'busybox' } },
  keySteps: [{
    step: 'unshare', match: { flags: 'CLONE_NEWPID' },
    say: 'Before the container exists, the runtime asks for a new PID namespace. The next process it starts, the container\'s init, becomes PID 1 of that namespace; the runtime itself stays in the host\'s.',
  }],
  steps: [
    {
      title: 'Look from inside',
      say: 'Inside, ps lists only the container\'s processes. The sleep that the runtime started is PID 1: ' +
        'the first process of a new PID namespace, its init. Our shell, entered with nsenter, gets a pid of this ' +
        'namespace too, but not necessarily the next one: every process the runtime and earlier commands started ' +
        'in it used up a number, so ps may show 8 rather than 2.',
      run: [{ in: 'c', sh: 'ps -o pid,comm' }, { in: 'c', sh: 'cat /proc/1/cmdline | tr "\\0" " "; echo' }],
      checks: [
        {
          title: 'PID 1 inside is the container\'s sleep',
          from: 'inside',
          hint: (seen) => `PID 1 is ${seen}: without a PID namespace PID 1 is the host's init (is "pid" in linux.namespaces?)`,
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'cat /proc/1/comm')).out, 'sleep'),
        },
        {
          title: 'only a handful of processes are visible inside',
          from: 'inside',
          hint: 'Hundreds of processes means /proc shows the host\'s PID namespace: the container shares it.',
          verify: async (lab) => {
            const pids = (await lab.inside('c', 'ls /proc | grep -c "^[0-9][0-9]*$"')).out;
            return lab.expect.atMost(Number(pids), 10);
          },
        },
      ],
    },
    {
      title: 'Look from the host',
      say: 'The host sees the same process with a host pid. /proc/<pid>/status has a line NSpid that lists ' +
        'its pid in each PID namespace it belongs to, outermost first: the host pid, then 1.',
      run: [{ sh: 'echo "host pid: $PID_C"; grep -E "^(Name|NSpid)" /proc/$PID_C/status' }],
      checks: [
        {
          title: 'the host sees the container\'s PID 1 under a normal pid',
          from: 'outside',
          hint: 'The runtime reported pid 1: it should report the pid as the host sees it.',
          verify: (lab) => lab.expect.notEqual(lab.container('c').pid, 1),
        },
        {
          title: 'NSpid lists the host pid, then 1',
          from: 'outside',
          hint: 'A single pid in NSpid means the process lives in the host\'s PID namespace only.',
          verify: (lab) => {
            const c = lab.container('c');
            return lab.expect.equal(nspid(lab.readFile(`/proc/${c.pid}/status`)), `${c.pid} 1`);
          },
        },
        {
          title: 'the container\'s pid namespace differs from the host\'s',
          from: 'outside',
          hint: 'Same inode: the container was started without a new PID namespace.',
          verify: async (lab) => {
            const r = await lab.outside('readlink /proc/self/ns/pid /proc/$PID_C/ns/pid');
            const [host, container] = r.out.split('\n');
            return lab.expect.notEqual(container ?? '', host ?? '');
          },
        },
      ],
    },
    {
      title: 'Your turn: a process of your own',
      say: 'Now start a process yourself, from a shell inside the container, and find it from the host. ' +
        'Inside, it gets the next free pid of the container\'s namespace; the host numbers the same process ' +
        'in its own namespace, and NSpid shows both numbers.',
      task: {
        instruction: 'Open a shell in the container and start a sleep in the background. Predict first: which pid will ps show for it inside, and will the host\'s pid be the same?',
        in: 'c',
        command: 'sleep 4242 &',
        // a background program must not hold the exec's output open
        solution: 'sleep 4242 </dev/null >/dev/null 2>&1 &',
        check: {
          title: 'your sleep runs in the container\'s PID namespace, with a pid there and another on the host',
          from: 'outside',
          hint: 'NSpid of your sleep lists one pid: it lives in the host\'s PID namespace only.',
          verify: async (lab) => {
            const ns = (await lab.outside('readlink /proc/$PID_C/ns/pid')).out;
            const found = (await lab.outside(
              'for d in /proc/[0-9]*; do [ "$(tr "\\0" " " < $d/cmdline 2>/dev/null)" = "sleep 4242 " ] && ' +
              `[ "$(readlink $d/ns/pid)" = "${ns}" ] && grep "^NSpid:" $d/status; done; true`)).out.trim();
            if (found === '') return lab.expect.that(false, 'a sleep 4242 with two pids in NSpid', 'no sleep 4242 in the container\'s PID namespace');
            const pids = found.split('\n')[0]!.replace(/^NSpid:\s*/, '').split(/\s+/);
            return lab.expect.that(pids.length === 2 && pids[0] !== pids[1], 'a sleep 4242 with two pids in NSpid',
              pids.length === 2 ? `sleep 4242 is pid ${pids[1]} inside, ${pids[0]} on the host` : `sleep 4242 has one pid, ${pids[0]}`);
          },
        },
        hints: [
          { when: 'no sleep 4242', say: 'Nothing yet: open the shell with the command above, then type the sleep line (the & keeps your shell free).' },
          { when: 'one pid', say: 'Your sleep is there but has only a host pid: the container shares the host\'s PID namespace.' },
        ],
      },
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-pid-ns',
    mustFail: ['PID 1 inside is the container\'s sleep', 'NSpid lists the host pid, then 1', 'only a handful of processes are visible inside',
      'your sleep runs in the container\'s PID namespace, with a pid there and another on the host']
  }],
} satisfies LabDefinition;
