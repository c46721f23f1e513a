import type { LabDefinition } from '../../../src/labs/format.js';

const LIMIT = 32 * 1024 * 1024;
const limitFile = { v1: 'memory/memory.limit_in_bytes', v2: 'memory.max' };

export default {
  title: 'Memory limit: the OOM killer at the limit, and the counters that saw it',
  summary: 'The container\'s memory cgroup is limited to 32 MiB. A process that touches 64 MiB is killed by ' +
    'the kernel\'s OOM killer inside the cgroup, the host is untouched, and the cgroup counts the kill.',
  containers: { c: { image: 'busybox', limits: { memoryBytes: LIMIT } } },
  keySteps: [{
    step: 'cgroup.write', match: { path: /\/memory\.(max|limit_in_bytes)$/ },
    say: 'The runtime writes the limit into the container\'s memory cgroup (memory.max on v2, memory.limit_in_bytes on v1) before the init joins it: from then on the kernel counts every page the container uses against it.',
  }],
  steps: [
    {
      title: 'The limit, seen from both sides',
      say: 'The runtime wrote linux.resources.memory.limit into the container\'s cgroup: memory.max on cgroup v2, ' +
        'memory.limit_in_bytes on v1. Inside, the cgroup namespace shows the same cgroup as the root of /sys/fs/cgroup.',
      run: [
        { in: 'c', sh: 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes' },
      ],
      checks: [
        {
          title: 'the host reads a 32 MiB limit in the container\'s cgroup',
          from: 'outside',
          hint: (seen) => `The cgroup says ${seen}: the runtime did not apply linux.resources.memory.limit.`,
          verify: (lab) => lab.expect.equal(lab.container('c').cgroup.read(limitFile), LIMIT),
        },
        {
          title: 'inside, the container reads the same limit',
          from: 'inside',
          hint: 'Inside sees another value: is the container\'s cgroup mounted at /sys/fs/cgroup with its cgroup namespace?',
          verify: async (lab) => lab.expect.equal(
            (await lab.inside('c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes')).out, LIMIT),
        },
      ],
    },
    {
      title: 'Touch 64 MiB',
      say: 'dd with a 64 MiB block size allocates a 64 MiB buffer and fills it from /dev/zero, touching every page. ' +
        'At 32 MiB the cgroup has nothing it can reclaim (anonymous memory; on a host with swap it may swap some out ' +
        'first, as the lab does not limit swap), so the kernel runs the OOM killer on the ' +
        'cgroup\'s processes only and kills the biggest: dd. Its shell reports exit status 137 = 128 + SIGKILL.',
      run: [{ in: 'c', sh: 'dd if=/dev/zero of=/dev/null bs=64M count=1; echo "exit status $?"', saveAs: 'dd', mayFail: true, timeoutMs: 60_000 }],
      checks: [
        {
          title: 'dd was killed with SIGKILL (exit status 137)',
          from: 'inside',
          hint: (seen) => (seen.includes('exit status 0') ? 'dd finished: nothing limited its memory (is linux.resources.memory.limit applied?)' : 'dd ended another way than by the OOM killer.'),
          verify: (lab) => lab.expect.includes(lab.memo.dd ?? '', 'exit status 137'),
        },
        {
          title: 'the cgroup counted an OOM kill',
          from: 'outside',
          hint: 'No oom_kill in memory.events (v2) / memory.oom_control (v1): the kill happened elsewhere or not at all.',
          verify: async (lab) => {
            const cg = lab.container('c').cgroup;
            const file = { v1: 'memory/memory.oom_control', v2: 'memory.events' };
            const kills = await lab.pollUntil(() => cg.readKeyed(file).oom_kill ?? 0, (n) => n >= 1, 2000);
            return lab.expect.atLeast(kills, 1);
          },
        },
        {
          title: 'the container\'s own sleep survived: only dd was killed',
          from: 'outside',
          hint: 'The container\'s init is gone: the OOM killer took more than the biggest process.',
          verify: (lab) => lab.expect.includes(lab.readFile(`/proc/${lab.container('c').pid}/comm`), 'sleep'),
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-memory-limit',
    mustFail: ['dd was killed with SIGKILL (exit status 137)', 'the cgroup counted an OOM kill', 'the host reads a 32 MiB limit in the container\'s cgroup']
  }],
} satisfies LabDefinition;
