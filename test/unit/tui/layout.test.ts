import { describe, expect, it } from 'vitest';
import { computeLayout } from '../../../src/tui/layout.js';
import { windowStart } from '../../../src/tui/components/StepList.js';

describe('layout', () => {
  it('80×24: stacked panes that leave one spare row', () => {
    const l = computeLayout(80, 24);
    expect(l.wide).toBe(false);
    expect(2 + l.listHeight + l.detailHeight + l.bottomHeight + 1).toBe(23);
    expect(l.listHeight).toBeGreaterThanOrEqual(6);
  });

  it('wide terminals put list and detail side by side', () => {
    const l = computeLayout(160, 45);
    expect(l.wide).toBe(true);
    expect(l.listWidth + 1 + l.detailWidth).toBe(160);
  });
});

describe('step list window', () => {
  it('stays put while the focus is inside, moves just enough when it leaves, keeps a header above', () => {
    expect(windowStart(100, 8, 50, 45)).toBe(45);
    expect(windowStart(100, 8, 45, 45)).toBe(44); // the line above (a group header) stays visible
    expect(windowStart(100, 8, 60, 45)).toBe(53);
    expect(windowStart(100, 8, 99, 0)).toBe(92);
    expect(windowStart(5, 8, 4, 3)).toBe(0);
  });
});
