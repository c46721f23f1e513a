import type { LabDefinition } from '../../../src/labs/format.js';

// The calls of docker's default profile that matter here. Docker's profile is an allow-list (about 350
// calls, default SCMP_ACT_ERRNO); these are among the ones it leaves out for a container without
// CAP_SYS_ADMIN, written as a deny-list so the lab stays short: each returns EPERM (errno 1).
const DENIED = ['unshare', 'setns', 'keyctl', 'add_key', 'request_key', 'mount', 'umount2', 'pivot_root', 'bpf', 'perf_event_open'];
const PROFILE = {
  defaultAction: 'SCMP_ACT_ALLOW',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  syscalls: [{ names: DENIED, action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
};

// The container's own process probes, so what it reports is what its own filter allowed (a shell
// entered later with nsenter is not a child of the container's process and carries no filter).
const PROBE = [
  'unshare -U true 2>&1; echo "unshare exit $?"',
  'grep -E "^Seccomp" /proc/self/status',
  // a child of its own, to show the filter is inherited
  'sleep 1000000 & echo probe-done',
  'wait',
].join('; ');

const field = (status: string, name: string): string => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1] ?? '';

export default {
  title: 'Seccomp: system calls the container may not make',
  summary: 'A seccomp filter is a BPF program the kernel runs on every system call of the process and its ' +
    'children. With docker\'s default profile, unshare(2), keyctl(2), mount(2) and friends return EPERM before ' +
    'the kernel even looks at capabilities; /proc/<pid>/status says "Seccomp: 2" (filter mode).',
  containers: {
    c: {
      image: 'busybox',
      args: ['sh', '-c', PROBE],
      ready: 'probe-done',
      editSpec: (spec) => { spec.linux!.seccomp = PROFILE; },
    },
  },
  steps: [
    {
      title: 'What the filtered process could do',
      say: 'The container\'s process tried unshare -U: a new user namespace, which needs no capability at all, so ' +
        'only the filter can refuse it. It got "Operation not permitted". Then it printed its Seccomp fields: mode 2 ' +
        'is "filter", and Seccomp_filters counts the programs attached (the runtime loaded one, from ' +
        'linux.seccomp in config.json, as the last step before exec).',
      run: [{ sh: 'cat "$SCRATCH/c.output"; echo "host view:"; grep -E "^Seccomp" /proc/$PID_C/status' }],
      checks: [
        {
          title: 'unshare(CLONE_NEWUSER) failed inside with EPERM',
          from: 'inside',
          hint: (seen) => (/exit 0/.test(seen) ? 'unshare worked: no filter denies it (is linux.seccomp in config.json, and did the runtime load it?)'
            : 'unshare failed, but not with EPERM: look at the message.'),
          verify: (lab) => {
            const out = lab.container('c').output();
            const lines = out.split('\n').filter((l) => /unshare/.test(l)).join(' | ');
            return lab.expect.that(/not permitted/.test(lines) && /unshare exit [1-9]/.test(lines), 'Operation not permitted, non-zero exit', lines);
          },
        },
        {
          title: 'the container\'s process reported Seccomp: 2 (filter mode)',
          from: 'inside',
          hint: 'Seccomp: 0 means no filter: the runtime ignored linux.seccomp.',
          verify: (lab) => lab.expect.equal(field(lab.container('c').output(), 'Seccomp'), '2'),
        },
        {
          title: 'the host sees a filter on the container\'s process',
          from: 'outside',
          hint: 'The host reads Seccomp: 0 or no Seccomp_filters in /proc/<pid>/status.',
          verify: (lab) => {
            const status = lab.readFile(`/proc/${lab.container('c').pid}/status`);
            return lab.expect.equal(`${field(status, 'Seccomp')} ${field(status, 'Seccomp_filters')}`, '2 1');
          },
        },
      ],
    },
    {
      title: 'The filter is inherited, never removed',
      say: 'A filter survives fork and execve and can only be added to, never removed: every child of the container\'s ' +
        'process has it. A shell we enter with nsenter is a child of the host, not of the container, and has none: ' +
        'seccomp belongs to processes, not to namespaces (runc exec loads the profile again for that reason).',
      run: [
        { in: 'c', sh: 'echo "pid 1 (sh): $(grep ^Seccomp: /proc/1/status)"; for p in $(pidof sleep); do echo "pid $p (sleep): $(grep ^Seccomp: /proc/$p/status)"; done; echo "this nsenter shell: $(grep ^Seccomp: /proc/self/status)"' },
      ],
      checks: [
        {
          title: 'a child forked by the container\'s process has the filter too',
          from: 'outside',
          hint: 'The container\'s sleep (a child of its shell) has no filter: none was loaded on its parent.',
          verify: async (lab) => {
            const r = await lab.outside('for p in $(cat /proc/$PID_C/task/*/children); do echo "$(cat /proc/$p/comm) $(grep "^Seccomp:" /proc/$p/status)"; done');
            return lab.expect.matches(r.out.replace(/\s+/g, ' '), /^sleep Seccomp: 2$/);
          },
        },
      ],
    },
  ],
  controls: [{
    wrapper: 'no-seccomp',
    mustFail: ['unshare(CLONE_NEWUSER) failed inside with EPERM', 'the container\'s process reported Seccomp: 2 (filter mode)',
      'the host sees a filter on the container\'s process', 'a child forked by the container\'s process has the filter too'],
  }],
} satisfies LabDefinition;
