import type { LabDefinition } from '../../../src/labs/format.js';

// The path of one hierarchy in a /proc/<pid>/cgroup listing: the pids line on v1, the 0:: line on v2.
const pathOf = (listing: string, v: 'v1' | 'v2'): string => {
  for (const line of listing.split('\n')) {
    const [, controllers, ...path] = line.split(':');
    if (v === 'v2' ? controllers === '' : controllers?.split(',').includes('pids')) return path.join(':');
  }
  return '';
};

export default {
  title: 'Cgroup namespace: the container\'s cgroup looks like the root',
  summary: 'A cgroup namespace virtualises /proc/self/cgroup: inside, the container\'s own cgroup is "/", ' +
    'so the container learns nothing about the host\'s cgroup layout. The host sees the real path.',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'Compare the paths',
      say: 'Each line of /proc/<pid>/cgroup is hierarchy-id:controllers:path. Paths are relative to the ' +
        'reader\'s cgroup namespace root, which the runtime set to the container\'s cgroup.',
      run: [{ in: 'c', sh: 'cat /proc/1/cgroup' }, { sh: 'cat /proc/$PID_C/cgroup' }],
      checks: [
        {
          title: 'inside, the container\'s cgroup is /',
          from: 'inside',
          hint: (seen) => `Inside sees ${seen}: the container shares the host's cgroup namespace ("cgroup" in linux.namespaces?).`,
          verify: async (lab) => lab.expect.equal(pathOf((await lab.inside('c', 'cat /proc/1/cgroup')).out, lab.host.cgroup), '/'),
        },
        {
          title: 'the host sees the container\'s real cgroup path, named after the container',
          from: 'outside',
          hint: 'The runtime must create the cgroup named by linux.cgroupsPath and move the container into it.',
          verify: (lab) => {
            const c = lab.container('c');
            return lab.expect.includes(pathOf(lab.readFile(`/proc/${c.pid}/cgroup`), lab.host.cgroup), c.id);
          },
        },
        {
          title: 'the container\'s cgroup namespace is not the host\'s',
          from: 'outside',
          hint: 'Same inode in /proc/<pid>/ns/cgroup: no cgroup namespace.',
          verify: async (lab) => {
            const [host, c] = (await lab.outside('readlink /proc/self/ns/cgroup /proc/$PID_C/ns/cgroup')).out.split('\n');
            return lab.expect.notEqual(c ?? '', host ?? '');
          },
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [
    { wrapper: 'no-cgroup-ns', mustFail: ['inside, the container\'s cgroup is /', 'the container\'s cgroup namespace is not the host\'s'] },
    { wrapper: 'other-cgroup', mustFail: ['the host sees the container\'s real cgroup path, named after the container'] },
  ],
} satisfies LabDefinition;
