// `tslab test LABS --runtime A --runtime B …`: one matrix of check × runtime with the values seen,
// JUnit with a testsuite per runtime, and the HTML report's matrix page. A runtime wrapper that drops
// the PID namespace (a negative control) shows what a failing column looks like.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftoversOf, readJunit, RUNTIMES, tslab } from './lab-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'tslabt-matrix-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const PREFIX = 'tslabt-matrix-';

describe('the conformance matrix', () => {
  it('tslab and runc side by side: prints the matrix and writes JUnit with a testsuite for each', async () => {
    const out = join(work, 'both.xml');
    const report = join(work, 'html');
    const r = await tslab(['test', 'labs/namespaces/pid-namespace', 'labs/namespaces/uts-namespace', '--runtime', 'tslab', '--runtime', 'runc',
      '--reporter', 'junit', '--output', out, '--report', report, '--name-prefix', PREFIX]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^check\s+tslab\s+runc$/m);
    expect(r.stdout).toMatch(/^ {2}Look from inside › PID 1 inside is the container's sleep\s+PASS sleep\s+PASS sleep$/m);
    expect(r.stdout).toMatch(/^total\s+9\/9 checks\s+9\/9 checks$/m);
    const cases = readJunit(out);
    expect([...new Set(cases.map((c) => c.suite))]).toEqual(['tslab', 'runc']);
    expect(cases.filter((c) => c.suite === 'runc').length).toBe(9);
    expect(cases.every((c) => c.status === 'pass')).toBe(true);
    const html = readFileSync(join(report, 'index.html'), 'utf8');
    expect(html).toContain('Check × runtime');
    expect(html).toContain('<a href="runc/index.html">runc</a>');
    expect(existsSync(join(report, 'tslab', 'index.html'))).toBe(true);
    expect(leftoversOf(PREFIX)).toEqual([]);
  }, 240_000);

  it('a runtime without a PID namespace fails in its own column, with what it saw', async () => {
    const r = await tslab(['test', 'labs/namespaces/pid-namespace', '--runtime', 'runc', '--runtime', join(RUNTIMES, 'no-pid-ns'), '--name-prefix', PREFIX]);
    expect(r.code).toBe(1);
    const line = r.stdout.split('\n').find((l) => l.includes('PID 1 inside is the container\'s sleep') && l.includes('PASS sleep'));
    expect(line, r.stdout).toMatch(/PASS sleep\s+FAIL \S+/);
    expect(r.stdout).toMatch(/== runtime runc\n/);
    expect(leftoversOf(PREFIX)).toEqual([]);
  }, 240_000);
});
