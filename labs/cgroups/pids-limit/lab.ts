import type { LabDefinition } from '../../../src/labs/format.js';

const LIMIT = 16;
const BOMB = 64;

export default {
  title: 'Pids limit: a fork bomb stays contained',
  summary: 'pids.max caps how many tasks the container\'s cgroup may hold. A (bounded) fork bomb inside hits ' +
    'the cap: fork() fails with EAGAIN in the container, the host keeps forking normally.',
  containers: { c: { image: 'busybox', limits: { pids: LIMIT } } },
  steps: [
    {
      title: 'The cap',
      say: `The runtime wrote linux.resources.pids.limit = ${LIMIT} to pids.max of the container's cgroup.`,
      run: [{ in: 'c', sh: 'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max' }],
      checks: [
        {
          title: `the container's cgroup has pids.max = ${LIMIT}`,
          from: 'outside',
          hint: (seen) => `pids.max is ${seen}: the runtime did not apply linux.resources.pids.limit.`,
          verify: (lab) => lab.expect.equal(lab.container('c').cgroup.read({ v1: 'pids/pids.max', v2: 'pids.max' }), LIMIT),
        },
      ],
    },
    {
      title: 'Fork bomb',
      say: `The shell starts ${BOMB} background sleeps as fast as it can (a bounded bomb: an unbounded one would take ` +
        'the host down if the limit were missing). Once the cgroup holds its limit, the next fork() fails with EAGAIN; ' +
        'the shell says "can\'t fork" and gives up the loop (exit 2). Only this cgroup is capped: the host forks as before.',
      run: [{
        in: 'c',
        sh: `exec 2>&1; for i in $(seq ${BOMB}); do sleep 300 </dev/null >/dev/null 2>&1 & done; echo started`,
        saveAs: 'bomb',
        mayFail: true,
      }],
      checks: [
        {
          title: 'fork() failed inside the container',
          from: 'inside',
          hint: 'Every fork succeeded: nothing capped the number of tasks (is linux.resources.pids.limit applied?).',
          verify: (lab) => {
            // the shell's complaints (stderr, sent to stdout with exec 2>&1) are in the saved output
            const failures = (lab.memo.bomb ?? '').split('\n').filter((l) => l.includes("can't fork")).length;
            return lab.expect.that(failures > 0, 'some "can\'t fork" errors', `${failures} failed forks`);
          },
        },
        {
          title: 'the cgroup refused forks at the limit (pids.events max)',
          from: 'outside',
          hint: 'pids.events counts forks refused at pids.max: zero means the limit was never hit.',
          verify: (lab) => lab.expect.atLeast(lab.container('c').cgroup.readKeyed({ v1: 'pids/pids.events', v2: 'pids.events' }).max ?? 0, 1),
        },
        {
          title: `the host sees at most ${LIMIT} of the container's processes`,
          from: 'outside',
          hint: 'More processes than the limit are in the cgroup: the limit is not enforced.',
          verify: (lab) => {
            const procs = lab.container('c').cgroup.read({ v1: 'pids/cgroup.procs', v2: 'cgroup.procs' }).split('\n').filter(Boolean);
            return lab.expect.atMost(procs.length, LIMIT);
          },
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-pids-limit',
    mustFail: ['fork() failed inside the container', 'the cgroup refused forks at the limit (pids.events max)', 'the host sees at most 16 of the container\'s processes']
  }],
} satisfies LabDefinition;
