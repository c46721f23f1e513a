import type { LabDefinition } from '../../../src/labs/format.js';

// cpu.shares as the OCI spec takes them; the runtime writes them to cpu.shares on v1 and converts them
// to cpu.weight on v2 (1 + (shares - 2) * 9999 / 262142): 2598 → 100, 7841 → 300
const SHARES = { light: 2598, heavy: 7841 };
const weightFile = { v1: 'cpu/cpu.shares', v2: 'cpu.weight' };
const spin = 'sh -c "while :; do :; done" </dev/null >/dev/null 2>&1 & echo "spinning as pid $!"';

export default {
  title: 'CPU weight: two busy containers on one CPU split it about 1:3',
  summary: 'A CPU weight (cpu.weight on v2, cpu.shares on v1) says nothing until the CPU is contended: then the ' +
    'scheduler gives each cgroup time in proportion to its weight. Two containers pinned to CPU 0, each with a ' +
    'busy loop, weights 100 and 300: the heavy one gets about three times the CPU time of the light one.',
  containers: {
    light: { image: 'busybox', limits: { cpus: '0' }, editSpec: (spec) => { spec.linux!.resources!.cpu!.shares = SHARES.light; } },
    heavy: { image: 'busybox', limits: { cpus: '0' }, editSpec: (spec) => { spec.linux!.resources!.cpu!.shares = SHARES.heavy; } },
  },
  steps: [
    {
      title: 'The weights',
      say: 'linux.resources.cpu.shares 2598 and 7841 become cpu.shares on v1 and cpu.weight 100 and 300 on v2. Both ' +
        'containers are also limited to CPU 0 (cpuset.cpus), so their loops must share one CPU.',
      run: [
        { in: 'light', sh: 'cat /sys/fs/cgroup/cpu.weight 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.shares' },
        { in: 'heavy', sh: 'cat /sys/fs/cgroup/cpu.weight 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.shares' },
      ],
      checks: [
        {
          title: 'the host reads a weight three times as high for the heavy container',
          from: 'outside',
          hint: (seen) => `Weights ${seen}: the runtime did not apply linux.resources.cpu.shares.`,
          verify: (lab) => {
            const light = Number(lab.container('light').cgroup.read(weightFile));
            const heavy = Number(lab.container('heavy').cgroup.read(weightFile));
            return lab.expect.that(Math.abs(heavy / light - 3) < 0.1, 'heavy = 3 × light', `${light} and ${heavy}`);
          },
        },
      ],
    },
    {
      title: 'Spin both on CPU 0 and measure',
      say: 'A shell loop that never sleeps starts in each container. The lab reads each cgroup\'s CPU time (cpu.stat ' +
        'usage_usec on v2, cpuacct.usage on v1) until the two together have used 2 s more, then compares. Other ' +
        'processes on CPU 0 take their part too, but between the two the split follows the weights.',
      run: [{ in: 'light', sh: spin }, { in: 'heavy', sh: spin }],
      checks: [
        {
          title: 'the heavy container got between 2 and 4.5 times the CPU time of the light one',
          from: 'outside',
          hint: (seen) => `The split was ${seen}: about 1:1 means the weights are not applied (or the loops run on two CPUs).`,
          verify: async (lab) => {
            const usageUs = (name: string): number => {
              const cg = lab.container(name).cgroup;
              return lab.host.cgroup === 'v2' ? cg.readKeyed({ v1: '', v2: 'cpu.stat' }).usage_usec ?? 0
                : Number(cg.read({ v1: 'cpuacct/cpuacct.usage', v2: '' })) / 1000;
            };
            // let the scheduler settle on the two loops, then measure a window of 2 s of CPU time
            await lab.pollUntil(() => usageUs('light') + usageUs('heavy'), (v) => v > 300_000, 20_000);
            const l0 = usageUs('light');
            const h0 = usageUs('heavy');
            await lab.pollUntil(() => usageUs('light') - l0 + usageUs('heavy') - h0, (v) => v >= 2_000_000, 60_000);
            const light = usageUs('light') - l0;
            const heavy = usageUs('heavy') - h0;
            const ratio = heavy / Math.max(light, 1);
            return lab.expect.that(ratio >= 2 && ratio <= 4.5, '1 : 2..4.5', `1 : ${ratio.toFixed(2)} (${(light / 1e6).toFixed(2)} s and ${(heavy / 1e6).toFixed(2)} s)`);
          },
        },
        {
          title: 'inside, each loop is allowed CPU 0 only',
          from: 'inside',
          hint: 'The loops may run on other CPUs: the cpuset is not applied, so they do not compete.',
          verify: async (lab) => {
            const r = await lab.inside('heavy', 'grep Cpus_allowed_list /proc/$(pidof sh | tr " " "\\n" | sort -n | tail -n 1)/status 2>/dev/null || grep Cpus_allowed_list /proc/self/status');
            return lab.expect.matches(r.out, /Cpus_allowed_list:\s*0$/);
          },
        },
      ],
    },
  ],
  controls: [
    { wrapper: 'no-cpuset', mustFail: ['inside, each loop is allowed CPU 0 only'] },
    { wrapper: 'no-cpu-weight', mustFail: ['the host reads a weight three times as high for the heavy container', 'the heavy container got between 2 and 4.5 times the CPU time of the light one'] },
  ],
} satisfies LabDefinition;
