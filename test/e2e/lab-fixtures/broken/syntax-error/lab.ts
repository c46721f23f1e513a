import type { LabDefinition } from '../../../../../src/labs/format.js';

export default {
  title: 'A lab with a syntax error',
  summary: 'The comma after summary is missing.'
  containers: { c: { image: 'busybox' } },
  steps: [{ title: 'never runs', say: '' }],
  controls: [],
} satisfies LabDefinition;
