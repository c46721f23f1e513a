import type { LabDefinition } from '../../../../../src/labs/format.js';

export default {
  title: 'A good lab beside broken ones',
  summary: 'It must still run and pass.',
  containers: { c: { image: 'busybox', hostname: 'good-box' } },
  steps: [
    {
      title: 'one check',
      say: 'The hostname inside.',
      run: [{ in: 'c', sh: 'hostname' }],
      checks: [{ title: 'hostname is good-box', from: 'inside', hint: '', verify: async (lab) => lab.expect.equal((await lab.inside('c', 'hostname')).out, 'good-box') }],
    },
  ],
  controls: [],
} satisfies LabDefinition;
