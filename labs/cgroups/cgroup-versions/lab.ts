import type { LabDefinition } from '../../../src/labs/format.js';

const LIMIT = 64 * 1024 * 1024;

export default {
  title: 'cgroup v1 and v2: one tree per controller, or one tree for all',
  summary: 'cgroup v1 has a hierarchy per controller (memory, cpu, pids, … each a mount under /sys/fs/cgroup), ' +
    'and a process has one path in each. cgroup v2 has a single hierarchy (cgroup2fs) where a directory enables ' +
    'controllers: a process has one path. The lab shows whichever this host has; the CI VM shows the other.',
  containers: { c: { image: 'busybox', limits: { memoryBytes: LIMIT, pids: 64 } } },
  steps: [
    {
      title: 'What /sys/fs/cgroup is on this host',
      say: 'On v2 /sys/fs/cgroup is itself a cgroup2 mount and cgroup.controllers lists what it offers. On v1 (and ' +
        'the "hybrid" layout) it is a tmpfs with one cgroup mount per controller below it.',
      run: [
        { sh: 'echo "/sys/fs/cgroup: $(stat -f -c %T /sys/fs/cgroup)"; grep -E " cgroup2? " /proc/self/mounts | cut -d" " -f2,3 | head -n 14' },
        { sh: 'echo "the container\'s /proc/<pid>/cgroup:"; cat /proc/$PID_C/cgroup' },
      ],
      checks: [
        {
          title: 'the host\'s /sys/fs/cgroup is the file system its cgroup version uses',
          from: 'outside',
          hint: (seen) => `statfs says ${seen}: the lab misread this host's cgroup version.`,
          verify: async (lab) => lab.expect.equal((await lab.outside('stat -f -c %T /sys/fs/cgroup')).out, lab.host.cgroup === 'v2' ? 'cgroup2fs' : 'tmpfs'),
        },
        {
          title: 'the container\'s process has one cgroup path (v2) or one per hierarchy (v1), all named after it',
          from: 'outside',
          hint: (seen) => `/proc/<pid>/cgroup: ${seen}. The runtime left the process in cgroups not named by linux.cgroupsPath.`,
          verify: (lab) => {
            const c = lab.container('c');
            const lines = lab.readFile(`/proc/${c.pid}/cgroup`).trim().split('\n');
            const memory = lines.filter((l) => (lab.host.cgroup === 'v2' ? l.startsWith('0::') : /^\d+:[^:]*\bmemory\b/.test(l)));
            const ok = (lab.host.cgroup === 'v2' ? lines.length === 1 : lines.length > 3)
              && memory.length === 1 && memory[0]!.endsWith(`/${c.id}`);
            return lab.expect.that(ok, lab.host.cgroup === 'v2' ? `one line "0::/${c.id}"` : `a line per hierarchy, memory's ending in /${c.id}`, lines.join(' | '));
          },
        },
      ],
    },
    {
      title: 'The same limit under two names',
      say: 'linux.resources.memory.limit is memory.max in the container\'s one v2 directory, and memory.limit_in_bytes in ' +
        'its directory of the v1 memory hierarchy; pids.max is in the v2 directory too, but in another v1 hierarchy. ' +
        'Inside, the cgroup namespace makes the container\'s own cgroup look like the root: "/".',
      run: [
        { in: 'c', sh: 'cat /proc/self/cgroup; ls /sys/fs/cgroup | head -n 12' },
      ],
      checks: [
        {
          title: 'the memory limit is in the file this version names',
          from: 'outside',
          hint: 'The limit is missing: the runtime wrote it to the other version\'s file, or not at all.',
          verify: (lab) => lab.expect.equal(lab.container('c').cgroup.read({ v1: 'memory/memory.limit_in_bytes', v2: 'memory.max' }), LIMIT),
        },
        {
          title: 'memory and pids are one directory on v2, two on v1',
          from: 'outside',
          hint: (seen) => `Saw ${seen}.`,
          verify: (lab) => {
            const cg = lab.container('c').cgroup;
            const same = cg.dir('memory') === cg.dir('pids');
            return lab.expect.that(same === (lab.host.cgroup === 'v2'), lab.host.cgroup === 'v2' ? 'one directory' : 'two directories', `${cg.dir('memory')} and ${cg.dir('pids')}`);
          },
        },
        {
          title: 'inside, every cgroup path of the process is /',
          from: 'inside',
          hint: 'Inside shows the host\'s path of the cgroup: the container has no cgroup namespace.',
          verify: async (lab) => {
            // v1: the controllers' hierarchies; the hybrid layout's extra "0::" line (cgroup2 with no controller)
            // is left out, runtimes differ on whether they place the container in it
            const lines = (await lab.inside('c', 'cat /proc/self/cgroup')).out.split('\n')
              .filter((l) => lab.host.cgroup === 'v2' || !l.startsWith('0::'));
            return lab.expect.that(lines.every((l) => l.endsWith(':/')), 'every line ends in ":/"', lines.join(' | '));
          },
        },
      ],
    },
  ],
  controls: [
    { wrapper: 'no-cgroup-ns', mustFail: ['inside, every cgroup path of the process is /'] },
    { wrapper: 'other-cgroup', mustFail: ['the container\'s process has one cgroup path (v2) or one per hierarchy (v1), all named after it'] },
  ],
} satisfies LabDefinition;
