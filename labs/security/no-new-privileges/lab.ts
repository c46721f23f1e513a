import type { LabDefinition } from '../../../src/labs/format.js';

const field = (status: string, name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';

export default {
  title: 'no_new_privs: no way up through setuid binaries',
  summary: 'process.noNewPrivileges makes the runtime set PR_SET_NO_NEW_PRIVS before exec: from then on execve() ' +
    'never grants privileges (setuid bits and file capabilities are ignored), for the process and all its children.',
  containers: {
    c: {
      image: 'busybox',
      user: { uid: 1000, gid: 1000 },
      args: ['sh', '-c', 'grep -E "^(NoNewPrivs|Uid)" /proc/self/status; echo probe-done; exec sleep 1000000'],
      ready: 'probe-done',
    },
  },
  steps: [
    {
      title: 'Read the flag',
      say: 'The container\'s process (uid 1000) printed its NoNewPrivs field at start; the host reads the same field in ' +
        '/proc/<pid>/status. The flag is inherited across fork and exec and can never be cleared.',
      run: [{ sh: 'grep -E "^(NoNewPrivs|Uid)" /proc/$PID_C/status' }],
      checks: [
        {
          title: 'the container\'s process reports NoNewPrivs: 1',
          from: 'inside',
          hint: 'NoNewPrivs is 0: a setuid-root binary in the image would make this process root.',
          verify: (lab) => lab.expect.matches(lab.container('c').output(), /^NoNewPrivs:\s*1$/m),
        },
        {
          title: 'the host sees NoNewPrivs: 1 for the container\'s process',
          from: 'outside',
          hint: 'The runtime did not call prctl(PR_SET_NO_NEW_PRIVS) for process.noNewPrivileges.',
          verify: (lab) => lab.expect.equal(field(lab.readFile(`/proc/${lab.container('c').pid}/status`), 'NoNewPrivs'), '1'),
        },
        {
          title: 'children inherit it',
          from: 'inside',
          hint: 'A child of the container\'s process lacks the flag.',
          verify: async (lab) => {
            const out = await lab.outside('for p in $(cat /proc/$PID_C/task/$PID_C/children) $PID_C; do grep NoNewPrivs /proc/$p/status; done | sort -u');
            return lab.expect.equal(out.out.replace(/\s+/g, ' '), 'NoNewPrivs: 1');
          },
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'nnp-off',
    mustFail: ['the container\'s process reports NoNewPrivs: 1', 'the host sees NoNewPrivs: 1 for the container\'s process']
  }],
} satisfies LabDefinition;
