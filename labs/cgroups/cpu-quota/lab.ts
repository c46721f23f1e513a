import type { LabDefinition } from '../../../src/labs/format.js';

const QUOTA = 20_000;
const PERIOD = 100_000;
const statFile = { v1: 'cpu/cpu.stat', v2: 'cpu.stat' };

export default {
  title: 'CPU quota: throttling, visible in cpu.stat',
  summary: 'A CFS bandwidth quota of 20 ms per 100 ms period lets the container use at most 0.2 CPU. A busy loop ' +
    'inside runs until the quota of the period is spent, then is throttled until the next period: cpu.stat counts it.',
  containers: { c: { image: 'busybox', limits: { cpuQuotaUs: QUOTA, cpuPeriodUs: PERIOD } } },
  steps: [
    {
      title: 'The quota',
      say: 'linux.resources.cpu.quota and period become cpu.max = "20000 100000" on v2, cpu.cfs_quota_us and ' +
        'cpu.cfs_period_us on v1.',
      run: [{ in: 'c', sh: 'cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"' }],
      checks: [
        {
          title: 'the host reads a 20000/100000 us quota in the container\'s cgroup',
          from: 'outside',
          hint: (seen) => `The cgroup says ${seen}: the runtime did not apply linux.resources.cpu.quota/period.`,
          verify: (lab) => {
            const cg = lab.container('c').cgroup;
            const seen = lab.host.cgroup === 'v2' ? cg.read({ v1: '', v2: 'cpu.max' })
              : `${cg.read({ v1: 'cpu/cpu.cfs_quota_us', v2: '' })} ${cg.read({ v1: 'cpu/cpu.cfs_period_us', v2: '' })}`;
            return lab.expect.equal(seen, `${QUOTA} ${PERIOD}`);
          },
        },
      ],
    },
    {
      title: 'Spin',
      say: 'A shell loop that never sleeps runs in the background inside the container. Each period it burns its ' +
        '20 ms and the scheduler throttles the cgroup for the remaining 80 ms. We watch nr_throttled in cpu.stat grow ' +
        'and measure how much CPU the cgroup got.',
      run: [{ in: 'c', sh: 'sh -c "while :; do :; done" </dev/null >/dev/null 2>&1 & echo "spinning as pid $!"', saveAs: 'spinner' }],
      checks: [
        {
          title: 'cpu.stat counts throttled periods',
          from: 'outside',
          hint: 'nr_throttled stayed 0: nothing limits the container\'s CPU bandwidth.',
          verify: async (lab) => {
            const cg = lab.container('c').cgroup;
            // a busy host gives the loop less CPU, so its quota runs out in fewer periods: wait up to 15 s
            const n = await lab.pollUntil(() => cg.readKeyed(statFile).nr_throttled ?? 0, (v) => v >= 3, 15_000);
            return lab.expect.atLeast(n, 3);
          },
        },
        {
          title: 'the container gets at most about 0.2 CPU',
          from: 'outside',
          hint: 'The busy loop got more than its quota allows.',
          verify: async (lab) => {
            const cg = lab.container('c').cgroup;
            // v2: usage_usec in cpu.stat; v1: cpuacct.usage in nanoseconds
            const usageUs = (): number => (lab.host.cgroup === 'v2'
              ? cg.readKeyed(statFile).usage_usec ?? 0
              : Number(cg.read({ v1: 'cpuacct/cpuacct.usage', v2: '' })) / 1000);
            const t0 = Date.now();
            const u0 = usageUs();
            // a window of ten periods, measured by polling the clock (no fixed sleep)
            await lab.pollUntil(() => Date.now(), (t) => t - t0 >= 1000, 5000);
            const share = (usageUs() - u0) / ((Date.now() - t0) * 1000);
            // no lower bound beyond "it ran": on a busy host the loop may get far less than its quota
            return lab.expect.that(share <= 0.3 && share > 0, 'more than 0 and at most 0.3 CPU', `${share.toFixed(2)} CPU`);
          },
        },
        {
          title: 'the throttled time is visible from inside too',
          from: 'inside',
          hint: 'Inside, cpu.stat shows no throttling: is the container\'s cgroup the one mounted at /sys/fs/cgroup?',
          verify: async (lab) => {
            const r = await lab.inside('c', 'cat /sys/fs/cgroup/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.stat');
            const m = /^(?:throttled_usec|throttled_time) (\d+)$/m.exec(r.out);
            return lab.expect.atLeast(Number(m?.[1] ?? 0), 1);
          },
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-cpu-quota',
    mustFail: ['cpu.stat counts throttled periods', 'the throttled time is visible from inside too']
  }],
} satisfies LabDefinition;
