import type { LabDefinition } from '../../../../../src/labs/format.js';

export default {
  title: 'A lab whose image does not exist',
  summary: 'The runner cannot find the image and says which lab and line asked for it.',
  containers: {
    c: { image: 'tslabt-no-such-image' },
  },
  steps: [{ title: 'never runs', say: '', checks: [{ title: 'unreachable', from: 'outside', hint: '', verify: (lab) => lab.expect.equal(1, 1) }] }],
  controls: [],
} satisfies LabDefinition;
