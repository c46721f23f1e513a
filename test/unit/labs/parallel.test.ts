import { describe, expect, it } from 'vitest';
import { scheduleOrder } from '../../../src/labs/parallel.js';
import type { LabRef } from '../../../src/labs/catalog.js';

const ref = (id: string): LabRef => ({ id, name: id.split('/').pop()!, dir: `/labs/${id}`, file: `/labs/${id}/lab.ts` });

describe('scheduleOrder', () => {
  const refs = ['a/one', 'a/two', 'b/three', 'b/four'].map(ref);

  it('starts the longest labs of the last run first', () => {
    expect(scheduleOrder(refs, { 'a/one': 100, 'a/two': 900, 'b/three': 300, 'b/four': 500 })).toEqual([1, 3, 2, 0]);
  });

  it('puts labs never timed first, in serial order, and keeps the serial order without a hint', () => {
    expect(scheduleOrder(refs, { 'a/one': 100, 'b/three': 300 })).toEqual([1, 3, 2, 0]);
    expect(scheduleOrder(refs, {})).toEqual([0, 1, 2, 3]);
  });

  it('keeps the serial order between labs of equal length', () => {
    expect(scheduleOrder(refs, { 'a/one': 200, 'a/two': 200, 'b/three': 200, 'b/four': 200 })).toEqual([0, 1, 2, 3]);
  });
});
