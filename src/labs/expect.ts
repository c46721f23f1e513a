// Verdict helpers handed to checks as lab.expect.
import type { Expect, Verdict } from './format.js';

const show = (v: string | number): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
const short = (s: string): string => (s.length > 400 ? `${s.slice(0, 400)}… (${s.length} chars)` : s);

export const expect: Expect = {
  equal: (seen, expected): Verdict => ({ ok: String(seen) === String(expected), expected: show(expected), seen: short(show(seen)) }),
  notEqual: (seen, unexpected): Verdict => ({
    ok: String(seen) !== String(unexpected), expected: `anything but ${show(unexpected)}`, seen: short(show(seen)),
  }),
  includes: (seen, part): Verdict => ({ ok: seen.includes(part), expected: `text containing ${show(part)}`, seen: short(show(seen)) }),
  excludes: (seen, part): Verdict => ({ ok: !seen.includes(part), expected: `text without ${show(part)}`, seen: short(show(seen)) }),
  matches: (seen, pattern): Verdict => ({ ok: pattern.test(seen), expected: `text matching ${pattern}`, seen: short(show(seen)) }),
  atLeast: (seen, min): Verdict => ({ ok: seen >= min, expected: `>= ${min}`, seen: String(seen) }),
  atMost: (seen, max): Verdict => ({ ok: seen <= max, expected: `<= ${max}`, seen: String(seen) }),
  that: (ok, expected, seen): Verdict => ({ ok, expected, seen: short(seen) }),
};
