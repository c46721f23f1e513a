import type { LabDefinition } from '../../../src/labs/format.js';

// Files of runc's default maskedPaths; the lab checks those this host has (kernels differ: no
// /proc/kcore without CONFIG_PROC_KCORE, for instance).
const FILES = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/latency_stats'];
const DIR = '/sys/firmware';

export default {
  title: 'Masked paths: /proc files the container must not read',
  summary: 'Some /proc and /sys files expose the host (kernel memory, keys, timers of every process, firmware). The ' +
    'runtime masks them: it bind-mounts /dev/null over files and an empty read-only tmpfs over directories.',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'Read them inside and outside',
      say: '/proc/timer_list lists every timer of every process on the host; /proc/keys the keys the reader may see; ' +
        '/sys/firmware the machine\'s firmware tables. On the host they have content; inside they are empty, because ' +
        'the container\'s mount table has /dev/null (or an empty tmpfs) mounted on them.',
      run: [
        { in: 'c', sh: `for f in ${FILES.join(' ')}; do [ -e $f ] && echo "$f: $(head -c 4096 $f | wc -c) bytes"; done; echo "${DIR}: $(ls -A ${DIR} | wc -l) entries"; true` },
        { sh: `for f in ${FILES.join(' ')}; do [ -e $f ] && echo "$f: $(head -c 4096 $f | wc -c) bytes"; done; echo "${DIR}: $(ls -A ${DIR} | wc -l) entries"; true` },
      ],
      checks: [
        {
          title: 'inside, every masked /proc file with content on the host reads as empty',
          from: 'inside',
          hint: (seen) => `Readable inside: ${seen}. Those files are not in linux.maskedPaths, or the runtime ignored them.`,
          verify: async (lab) => {
            // bounded reads: /proc/kcore is as large as the kernel's address space
            const hostHas: string[] = [];
            for (const f of FILES) {
              if (Number((await lab.outside(`head -c 4096 ${f} 2>/dev/null | wc -c`)).out) > 0) hostHas.push(f);
            }
            const readable: string[] = [];
            for (const f of hostHas) {
              const n = Number((await lab.inside('c', `head -c 4096 ${f} 2>/dev/null | wc -c`)).out);
              if (n > 0) readable.push(`${f} (${n} bytes)`);
            }
            return lab.expect.that(hostHas.length > 0 && readable.length === 0,
              `${hostHas.join(', ') || '(none on this host!)'} empty`, readable.join(', ') || 'all empty');
          },
        },
        {
          title: `inside, ${DIR} is empty`,
          from: 'inside',
          hint: `The container lists the host's firmware tables: ${DIR} is not masked.`,
          verify: async (lab) => {
            const host = Number((await lab.outside(`ls -A ${DIR} | wc -l`)).out);
            const inside = Number((await lab.inside('c', `ls -A ${DIR} 2>/dev/null | wc -l`)).out);
            return lab.expect.that(host > 0 && inside === 0, `0 entries (the host has ${host})`, `${inside} entries`);
          },
        },
        {
          title: 'the container\'s mount table has a mount on /proc/timer_list',
          from: 'outside',
          hint: 'No mount on /proc/timer_list in the container\'s namespace: the runtime did not mask it.',
          verify: (lab) => {
            const points = lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`).split('\n').map((l) => l.split(' ')[4] ?? '');
            return lab.expect.that(points.includes('/proc/timer_list'), 'a mount on /proc/timer_list',
              `mounts below /proc: ${points.filter((p) => p.startsWith('/proc/')).join(', ') || 'none'}`);
          },
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-masked-paths',
    mustFail: ['inside, every masked /proc file with content on the host reads as empty', 'the container\'s mount table has a mount on /proc/timer_list']
  }],
} satisfies LabDefinition;
