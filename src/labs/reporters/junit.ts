// JUnit XML as CI systems read it: one <testsuite> per lab, one <testcase> per check,
// <failure> with expected/seen/hint, <error> when the lab could not load, start or clean up.
import type { LabResult } from '../events.js';

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[ch]!))
    // characters XML 1.0 forbids (terminal escapes in command output)
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');
}

const secs = (ms: number): string => (ms / 1000).toFixed(3);

/** One lab's testcases, and their counts (a testsuite per lab here, per runtime in the matrix). */
export function labCases(r: LabResult): { cases: string[]; tests: number; failures: number; errors: number; skipped: number } {
  const cases: string[] = [];
  let sFail = 0;
  let sErr = 0;
  const classname = xmlEscape(`labs.${r.ref.id.replace(/\//g, '.')}`);
  if (r.skipped) cases.push(`    <testcase classname="${classname}" name="lab" time="0"><skipped message="${xmlEscape(r.skipped)}"/></testcase>`);
  for (const c of r.checks) {
    const name = xmlEscape(`${c.step} › ${c.title}`);
    const head = `    <testcase classname="${classname}" name="${name}" time="${secs(c.durationMs)}"`;
    if (c.status === 'pass') cases.push(`${head}/>`);
    else if (c.status === 'fail') {
      sFail++;
      const body = `from: ${c.from}\nexpected: ${c.expected}\nseen: ${c.seen}\nhint: ${c.hint ?? ''}`;
      cases.push(`${head}>\n      <failure message="${xmlEscape(`expected ${c.expected}, seen ${c.seen}`)}" type="check">${xmlEscape(body)}</failure>\n    </testcase>`);
    } else {
      sErr++;
      cases.push(`${head}>\n      <error message="${xmlEscape(c.error ?? 'error')}" type="check-threw">${xmlEscape(`${c.error ?? ''}\nhint: ${c.hint ?? ''}`)}</error>\n    </testcase>`);
    }
  }
  for (const [what, message] of [['lab', r.error], ['cleanup', r.cleanupErrors.join('; ') || undefined]] as const) {
    if (!message) continue;
    sErr++;
    cases.push(`    <testcase classname="${classname}" name="${what}" time="0">\n      <error message="${xmlEscape(message)}" type="${what}">${xmlEscape(message)}</error>\n    </testcase>`);
  }
  return { cases, tests: cases.length, failures: sFail, errors: sErr, skipped: r.skipped ? 1 : 0 };
}

export function junitReport(results: LabResult[]): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  const suites: string[] = [];
  for (const r of results) {
    const { cases, failures: sFail, errors: sErr, skipped: sSkip } = labCases(r);
    const count = cases.length;
    tests += count;
    failures += sFail;
    errors += sErr;
    skipped += sSkip;
    suites.push(`  <testsuite name="${xmlEscape(r.ref.id)}" tests="${count}" failures="${sFail}" errors="${sErr}" skipped="${sSkip}" time="${secs(r.durationMs)}">\n` +
      `    <properties><property name="title" value="${xmlEscape(r.title)}"/><property name="runtime" value="${xmlEscape(r.runtime)}"/></properties>\n` +
      `${cases.join('\n')}\n  </testsuite>`);
  }
  out.push(`<testsuites name="tslab labs" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}">`);
  out.push(...suites, '</testsuites>');
  return out.join('\n') + '\n';
}
