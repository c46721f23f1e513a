import type { LabDefinition } from '../../../../../src/labs/format.js';

export default {
  title: 'A lab whose second check throws',
  summary: 'The first check passes, the second throws; the error names this file and line, the third still runs.',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'checks',
      say: 'Three checks.',
      checks: [
        { title: 'passes', from: 'outside', hint: '', verify: (lab) => lab.expect.notEqual(lab.container('c').pid, 0) },
        {
          title: 'throws',
          from: 'inside',
          hint: 'a hint',
          verify: () => {
            throw new Error('this check is broken on purpose');
          },
        },
        { title: 'still runs', from: 'inside', hint: '', verify: async (lab) => lab.expect.equal((await lab.inside('c', 'cat /proc/1/comm')).out, 'sleep') },
      ],
    },
  ],
  controls: [],
} satisfies LabDefinition;
