// TAP 13 and JUnit XML as CI systems read them, from made-up results.
import { describe, expect, it } from 'vitest';
import type { LabResult } from '../../../src/labs/events.js';
import { tapReport } from '../../../src/labs/reporters/tap.js';
import { junitReport } from '../../../src/labs/reporters/junit.js';
import { plainReport } from '../../../src/labs/reporters/summary.js';

const ref = (id: string) => ({ name: id.split('/').pop()!, id, dir: `/labs/${id}`, file: `/labs/${id}/lab.ts` });

const results: LabResult[] = [
  {
    ref: ref('namespaces/pid-namespace'), title: 'PID <namespace> & "friends"', runtime: '/usr/sbin/runc', durationMs: 1200, cleanupErrors: [], trace: [],
    checks: [
      { step: 'Inside', title: 'PID 1 is sleep', from: 'inside', status: 'pass', durationMs: 10 },
      { step: 'Inside', title: 'few # processes', from: 'inside', status: 'fail', expected: '<= 10', seen: '108', hint: 'shares the host\'s <pid> ns', durationMs: 12 },
    ],
  },
  {
    ref: ref('broken/throws'), title: 'broken/throws', runtime: '/usr/sbin/runc', durationMs: 5, cleanupErrors: [], trace: [],
    checks: [{ step: 's', title: 'throws', from: 'outside', status: 'error', error: 'lab.ts:7:13: check threw: boom', durationMs: 1 }],
  },
  { ref: ref('broken/syntax'), title: 'broken/syntax', runtime: '/usr/sbin/runc', durationMs: 2, cleanupErrors: [], trace: [], checks: [], error: 'broken/syntax: lab.ts:4:3: syntax error: \',\' expected' },
  { ref: ref('cgroups/cpuset'), title: 'Cpuset', runtime: '/usr/sbin/runc', durationMs: 0, cleanupErrors: [], trace: [], checks: [], skipped: 'one CPU' },
];

describe('TAP reporter', () => {
  const tap = tapReport(results);
  const lines = tap.trim().split('\n');

  it('is TAP 13 with one test point per check, plus one per lab error, and a plan', () => {
    expect(lines[0]).toBe('TAP version 13');
    expect(lines.at(-1)).toBe('1..5');
    expect(lines.filter((l) => /^(not )?ok \d+ /.test(l)).map((l) => l.split(' - ')[0])).toEqual(['ok 1', 'not ok 2', 'not ok 3', 'not ok 4', 'ok 5']);
  });

  it('escapes # in names and puts expected/seen/hint in a YAML block', () => {
    expect(tap).toContain('not ok 2 - namespaces/pid-namespace: Inside › few \\# processes');
    expect(tap).toMatch(/ {2}---\n {2}from: "inside"\n {2}expected: "<= 10"\n {2}seen: "108"\n {2}hint: "shares the host's <pid> ns"\n {2}\.\.\./);
    expect(tap).toContain('ok 5 - cgroups/cpuset # SKIP one CPU');
  });
});

describe('JUnit reporter', () => {
  const xml = junitReport(results);

  it('has one testsuite per lab and one testcase per check, with totals', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="tslab labs" tests="5" failures="1" errors="2" skipped="1">')).toBe(true);
    expect(xml.match(/<testsuite /g)).toHaveLength(4);
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml).toContain('<testsuite name="namespaces/pid-namespace" tests="2" failures="1" errors="0" skipped="0" time="1.200">');
  });

  it('escapes XML and carries expected, seen and hint in the failure', () => {
    expect(xml).toContain('<property name="title" value="PID &lt;namespace&gt; &amp; &quot;friends&quot;"/>');
    expect(xml).toContain('<failure message="expected &lt;= 10, seen 108" type="check">from: inside\nexpected: &lt;= 10\nseen: 108\nhint: shares the host&apos;s &lt;pid&gt; ns</failure>');
    expect(xml).toContain('<error message="lab.ts:7:13: check threw: boom" type="check-threw">');
    expect(xml).toContain('name="lab" time="0">\n      <error message="broken/syntax: lab.ts:4:3: syntax error: &apos;,&apos; expected" type="lab">');
  });

  it('has balanced tags (well-formed enough for CI parsers)', () => {
    for (const tag of ['testsuites', 'testsuite', 'failure', 'error', 'properties']) {
      const open = xml.match(new RegExp(`<${tag}[ >]`, 'g'))?.length ?? 0;
      const close = xml.match(new RegExp(`</${tag}>`, 'g'))?.length ?? 0;
      expect(close, tag).toBe(open);
    }
    expect(xml).not.toMatch(/[\u0000-\u0008]/);
  });
});

describe('plain reporter', () => {
  it('prints a line per check, details for failures and totals', () => {
    const text = plainReport(results);
    expect(text).toContain('FAIL namespaces/pid-namespace');
    expect(text).toContain('       expected: <= 10\n       seen:     108\n       hint:     shares the host\'s <pid> ns');
    expect(text).toContain('  ERROR broken/syntax: lab.ts:4:3');
    expect(text).toContain('SKIP cgroups/cpuset');
    expect(text.trim().split('\n').at(-1)).toBe('0/3 labs passed, 1 skipped; 1/3 checks passed');
  });
});
