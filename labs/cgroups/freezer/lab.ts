import type { LabDefinition } from '../../../src/labs/format.js';

const COUNTER = '/dev/shm/count';

export default {
  title: 'Freezer: pause and resume a whole container',
  summary: 'The cgroup freezer stops every task of a cgroup at once and lets them go again, the mechanism ' +
    'behind `pause`. The container counts in a loop; frozen, the count stops; thawed, it goes on.',
  containers: {
    c: {
      image: 'busybox',
      args: ['sh', '-c', `i=0; while :; do i=$((i+1)); echo $i > ${COUNTER}; usleep 20000; done`],
    },
  },
  steps: [
    {
      title: 'A counter',
      say: 'The container\'s only process counts, writing to a file in its /dev/shm. The host reads the file ' +
        'through /proc/<pid>/root, the container\'s root as seen from the host.',
      run: [{ sh: `cat /proc/$PID_C/root${COUNTER}` }],
      checks: [
        {
          title: 'the container\'s init is in the cgroup config.json named',
          from: 'outside',
          hint: 'The init is elsewhere: freezing its configured cgroup will not stop it.',
          verify: (lab) => {
            const c = lab.container('c');
            return lab.expect.equal(c.cgroup.dir('freezer'), c.configuredCgroup.dir('freezer'));
          },
        },
        {
          title: 'the counter advances',
          from: 'outside',
          hint: 'The counter does not move: the container\'s process is not running.',
          verify: async (lab) => {
            const read = (): number => Number(lab.readFile(`/proc/${lab.container('c').pid}/root${COUNTER}`).trim() || 0);
            const first = read();
            const later = await lab.pollUntil(read, (v) => v > first, 10_000);
            return lab.expect.that(later > first, `a value above ${first}`, String(later));
          },
        },
      ],
    },
    {
      title: 'Freeze',
      say: 'Writing FROZEN to freezer.state (v1) or 1 to cgroup.freeze (v2) stops every task of the cgroup; ' +
        'the kernel reports FROZEN / "frozen 1" once all have stopped. (Entering the container now would freeze ' +
        'the entering command too: it joins the frozen cgroup.)',
      run: [{
        sh: (lab) => {
          const cg = lab.container('c').configuredCgroup;
          const dir = cg.dir('freezer');
          if (dir === '/sys/fs/cgroup' || dir.endsWith('/freezer')) throw new Error(`${dir} is a root cgroup: not freezing it`);
          return lab.host.cgroup === 'v2' ? `echo 1 > ${dir}/cgroup.freeze` : `echo FROZEN > ${dir}/freezer.state`;
        },
      }],
      checks: [
        {
          title: 'the kernel reports the cgroup frozen',
          from: 'outside',
          hint: 'The cgroup never reached FROZEN: a task in it could not be frozen.',
          verify: async (lab) => {
            const cg = lab.container('c').configuredCgroup;
            const frozen = await lab.pollUntil(() => cg.isFrozen(), (f) => f, 5000);
            return lab.expect.that(frozen, 'frozen', frozen ? 'frozen' : 'not frozen');
          },
        },
        {
          title: 'the counter stops',
          from: 'outside',
          hint: 'The counter kept going while its cgroup was frozen: the container\'s process is not in that cgroup.',
          verify: async (lab) => {
            const read = (): number => Number(lab.readFile(`/proc/${lab.container('c').pid}/root${COUNTER}`).trim() || 0);
            const first = read();
            // ten of the counter's ticks: it would have moved by now if it were running
            const later = await lab.pollUntil(read, (v) => v !== first, 300);
            return lab.expect.equal(later, first);
          },
        },
      ],
    },
    {
      title: 'Thaw',
      say: 'THAWED (v1) or 0 (v2) lets the tasks run again, from exactly where they stopped.',
      run: [{
        sh: (lab) => {
          const dir = lab.container('c').configuredCgroup.dir('freezer');
          return lab.host.cgroup === 'v2' ? `echo 0 > ${dir}/cgroup.freeze` : `echo THAWED > ${dir}/freezer.state`;
        },
      }],
      checks: [
        {
          title: 'the counter moves again',
          from: 'outside',
          hint: 'The counter stays still after thawing: the tasks were not released.',
          verify: async (lab) => {
            const read = (): number => Number(lab.readFile(`/proc/${lab.container('c').pid}/root${COUNTER}`).trim() || 0);
            const first = read();
            const later = await lab.pollUntil(read, (v) => v > first, 10_000);
            return lab.expect.that(later > first, `a value above ${first}`, String(later));
          },
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'cgroup-escape',
    mustFail: ['the counter stops', 'the container\'s init is in the cgroup config.json named']
  }],
} satisfies LabDefinition;
