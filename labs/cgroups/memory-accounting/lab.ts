import type { LabDefinition } from '../../../src/labs/format.js';

const MiB = 1024 * 1024;
const WRITE_MIB = 32;
const usageFile = { v1: 'memory/memory.usage_in_bytes', v2: 'memory.current' };
const statFile = { v1: 'memory/memory.stat', v2: 'memory.stat' };
const usageInside = 'cat /sys/fs/cgroup/memory.current 2>/dev/null || cat /sys/fs/cgroup/memory/memory.usage_in_bytes';

export default {
  title: 'Memory accounting: a tmpfs write is charged to the container',
  summary: `Every page a container's processes use is charged to its memory cgroup, page cache and tmpfs included. ` +
    `Writing ${WRITE_MIB} MiB to a tmpfs raises the cgroup's usage by about ${WRITE_MIB} MiB (counted as "shmem"), ` +
    'and deleting the file gives it back: this is the number a memory limit is compared with.',
  containers: {
    c: {
      image: 'busybox',
      limits: { memoryBytes: 256 * MiB },
      mounts: [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=64m'] }],
    },
  },
  steps: [
    {
      title: 'Usage before',
      say: 'memory.current (v2) / memory.usage_in_bytes (v1) is what the cgroup uses now, in bytes; memory.stat breaks ' +
        'it down (anon, file, shmem, kernel). An idle busybox sleep uses well under a MiB of it.',
      run: [
        { in: 'c', sh: usageInside, saveAs: 'before' },
        { sh: (lab) => `grep -E "^(total_)?(shmem|anon|file|cache|rss) " ${lab.container('c').cgroup.dir('memory')}/memory.stat` },
      ],
      checks: [
        {
          title: 'the container\'s memory cgroup has the 256 MiB limit, so usage is counted against it',
          from: 'outside',
          hint: 'The limit is not there: the container may not have a memory cgroup of its own.',
          verify: (lab) => lab.expect.equal(lab.container('c').cgroup.read({ v1: 'memory/memory.limit_in_bytes', v2: 'memory.max' }), 256 * MiB),
        },
      ],
    },
    {
      title: `Write ${WRITE_MIB} MiB to the tmpfs`,
      say: `dd writes ${WRITE_MIB} MiB to /tmp, a tmpfs: its pages are memory, with no disk behind them, and they stay ` +
        'charged to the cgroup of the process that first touched them (dd, inside the container\'s cgroup) for as ' +
        'long as the file exists, after dd has exited.',
      run: [
        { in: 'c', sh: `dd if=/dev/zero of=/tmp/fill bs=1M count=${WRITE_MIB} 2>&1 | tail -n 1; ${usageInside}`, timeoutMs: 60_000 },
      ],
      checks: [
        {
          title: `inside, the usage rose by at least ${WRITE_MIB - 2} MiB`,
          from: 'inside',
          hint: (seen) => `Usage rose by ${seen}: the tmpfs pages were charged to another cgroup.`,
          verify: async (lab) => {
            const before = Number(lab.memo.before);
            const now = Number((await lab.inside('c', usageInside)).out);
            return lab.expect.that(now - before >= (WRITE_MIB - 2) * MiB, `>= ${WRITE_MIB - 2} MiB more`, `${((now - before) / MiB).toFixed(1)} MiB`);
          },
        },
        {
          title: `the cgroup config.json named counts about ${WRITE_MIB} MiB of shmem`,
          from: 'outside',
          hint: (seen) => `${seen} of shmem in the configured cgroup: the container\'s processes are charged elsewhere (the runtime ` +
            'left them in another cgroup than linux.cgroupsPath).',
          verify: async (lab) => {
            const shmem = (): number => {
              try {
                return lab.container('c').configuredCgroup.readKeyed(statFile).shmem ?? 0;
              } catch {
                return 0; // the configured cgroup does not exist
              }
            };
            const n = await lab.pollUntil(shmem, (v) => v >= (WRITE_MIB - 1) * MiB, 5000);
            return lab.expect.that(n >= (WRITE_MIB - 1) * MiB && n <= (WRITE_MIB + 8) * MiB, `${WRITE_MIB} MiB (give or take)`, `${(n / MiB).toFixed(1)} MiB`);
          },
        },
      ],
    },
    {
      title: 'Delete the file',
      say: 'rm frees the tmpfs pages, and the charge goes with them: usage falls back to about where it started. ' +
        '(A file on a disk-backed file system would leave its page cache charged until reclaimed.)',
      run: [{ in: 'c', sh: `rm /tmp/fill; ${usageInside}` }],
      checks: [
        {
          title: 'the shmem charge is gone again',
          from: 'outside',
          hint: 'shmem stays high after rm: another process still holds the file open, or the charge is elsewhere.',
          verify: async (lab) => {
            const n = await lab.pollUntil(() => lab.container('c').cgroup.readKeyed(statFile).shmem ?? 0, (v) => v < 2 * MiB, 5000);
            return lab.expect.atMost(n, 2 * MiB);
          },
        },
        {
          title: 'the usage fell by most of what was written',
          from: 'outside',
          hint: 'The usage did not fall: the tmpfs pages were not freed.',
          verify: async (lab) => {
            const before = Number(lab.memo.before);
            const now = await lab.pollUntil(() => Number(lab.container('c').cgroup.read(usageFile)), (v) => v - before < 8 * MiB, 5000);
            return lab.expect.that(now - before < 8 * MiB, 'within 8 MiB of the first reading', `${((now - before) / MiB).toFixed(1)} MiB above it`);
          },
        },
      ],
    },
  ],
  controls: [
    { wrapper: 'cgroup-escape', mustFail: [`the cgroup config.json named counts about ${WRITE_MIB} MiB of shmem`] },
    { wrapper: 'no-memory-limit', mustFail: ['the container\'s memory cgroup has the 256 MiB limit, so usage is counted against it'] },
  ],
} satisfies LabDefinition;
