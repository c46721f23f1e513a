import type { LabDefinition } from '../../../src/labs/format.js';

export default {
  title: 'UTS namespace: a hostname of its own',
  summary: 'The runtime gives the container a UTS namespace and sets its hostname there; ' +
    'the host keeps its own name.',
  containers: { c: { image: 'busybox', hostname: 'lab-box' } },
  keySteps: [{
    step: 'sethostname',
    say: 'Inside its new UTS namespace the init sets the hostname from config.json. The host\'s hostname does not change: the name belongs to the namespace.',
  }],
  steps: [
    {
      title: 'Ask both sides',
      say: 'hostname(1) reads the UTS namespace of the process that asks (uname(2) nodename). ' +
        'The runtime called sethostname() inside the new namespace before starting the container.',
      run: [
        { in: 'c', sh: 'hostname; uname -n' },
        { sh: 'hostname; uname -n' },
      ],
      checks: [
        {
          title: 'inside, the hostname is the one config.json asked for',
          from: 'inside',
          hint: (seen) => `Inside sees ${seen}: is "uts" in linux.namespaces and "hostname" set in config.json?`,
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'hostname')).out, 'lab-box'),
        },
        {
          title: 'the host keeps its own hostname',
          from: 'outside',
          hint: 'The host\'s name changed or equals the container\'s: the container shares the host\'s UTS namespace.',
          verify: async (lab) => {
            const host = (await lab.outside('hostname')).out;
            const inside = (await lab.inside('c', 'hostname')).out;
            return lab.expect.that(host !== inside && host !== 'lab-box', `a host name other than the container's ("${inside}")`, host);
          },
        },
        {
          title: 'the container\'s UTS namespace is not the host\'s',
          from: 'outside',
          hint: 'Same inode in /proc/<pid>/ns/uts: no UTS namespace was created.',
          verify: async (lab) => {
            const [host, c] = (await lab.outside('readlink /proc/self/ns/uts /proc/$PID_C/ns/uts')).out.split('\n');
            return lab.expect.notEqual(c ?? '', host ?? '');
          },
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-uts-ns',
    mustFail: ['inside, the hostname is the one config.json asked for', 'the host keeps its own hostname']
  }],
} satisfies LabDefinition;
