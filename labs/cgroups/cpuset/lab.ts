import type { LabDefinition } from '../../../src/labs/format.js';

const allowed = (status: string): string => /^Cpus_allowed_list:\s*(.*)$/m.exec(status)?.[1]?.trim() ?? '';

export default {
  title: 'Cpuset: pin a container to one CPU',
  summary: 'linux.resources.cpu.cpus = "0" puts the container in a cpuset with only CPU 0. Every task in it, ' +
    'including commands entering later, may only be scheduled there.',
  containers: { c: { image: 'busybox', limits: { cpus: '0' } } },
  skipIf: (host) => (host.cpus < 2 ? 'the host has one CPU: there is no other CPU to keep the container away from' : undefined),
  steps: [
    {
      title: 'Which CPUs may it use?',
      say: 'cpuset.cpus of the container\'s cgroup lists the CPUs; the kernel applies it as each task\'s affinity, ' +
        'which /proc/<pid>/status shows as Cpus_allowed_list and nproc(1) counts.',
      run: [{ in: 'c', sh: 'nproc; grep Cpus_allowed_list /proc/self/status' }, { sh: 'nproc; grep Cpus_allowed_list /proc/$PID_C/status' }],
      checks: [
        {
          title: 'the host reads cpuset.cpus = 0 in the container\'s cgroup',
          from: 'outside',
          hint: (seen) => `cpuset.cpus is ${seen}: the runtime did not apply linux.resources.cpu.cpus.`,
          verify: (lab) => lab.expect.equal(lab.container('c').cgroup.read({ v1: 'cpuset/cpuset.cpus', v2: 'cpuset.cpus' }), '0'),
        },
        {
          title: 'the container\'s init may run on CPU 0 only',
          from: 'outside',
          hint: 'The init\'s affinity is wider than the cpuset asked for.',
          verify: (lab) => lab.expect.equal(allowed(lab.readFile(`/proc/${lab.container('c').pid}/status`)), '0'),
        },
        {
          title: 'inside, nproc counts one CPU',
          from: 'inside',
          hint: (seen) => `nproc says ${seen}: commands in the container are not confined to the cpuset.`,
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'nproc')).out, '1'),
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-cpuset',
    mustFail: ['inside, nproc counts one CPU', 'the container\'s init may run on CPU 0 only']
  }],
} satisfies LabDefinition;
