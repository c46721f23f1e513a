// The whole curriculum, headless, as CI runs it: `tslab test labs/ --reporter junit` against runc
// (the oracle) and against ours. Every check of every lab must be listed in the JUnit file and pass.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLabs } from '../../../src/labs/catalog.js';
import { loadLab } from '../../../src/labs/load.js';
import { leftoversOf, readJunit, ROOT, tslab } from '../../e2e/lab-helpers.js';
import { removeDefaultNetworkAfterAll } from '../../helpers/default-network.js';

const LABS = join(ROOT, 'labs');
const work = mkdtempSync(join(tmpdir(), 'tslabt-labs-junit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
removeDefaultNetworkAfterAll(); // the network labs bring up tslab0 on the default data root

/** suite (lab id) → the names its checks must have in the JUnit file */
async function expectedCases(): Promise<Map<string, string[]>> {
  const expected = new Map<string, string[]>();
  for (const ref of findLabs(LABS, LABS)) {
    const lab = await loadLab(ref);
    // a step's task counts as one more check of it (run by its reference solution here)
    expected.set(ref.id, lab.steps.flatMap((s) => [...(s.checks ?? []), ...(s.task ? [s.task.check] : [])].map((c) => `${s.title} › ${c.title}`)));
  }
  return expected;
}

describe.each([
  ['runc', 'runc', 'tslabt-lr-'],
  ['ours (bin/tslab-runtime)', 'tslab', 'tslabt-lo-'],
])('tslab test labs/ --runtime %s', (_label, runtime, prefix) => {
  it('passes every lab, and the JUnit file lists every check', async () => {
    expect(runtime !== 'runc' || existsSync('/usr/sbin/runc') || existsSync('/usr/bin/runc'), 'runc must be installed (.ci/run installs it)').toBe(true);
    const out = join(work, `${runtime}.xml`);
    const r = await tslab(['test', 'labs/', '--runtime', runtime, '--reporter', 'junit', '--output', out, '--name-prefix', prefix], 600_000);
    const cases = readJunit(out);
    const bad = cases.filter((c) => c.status !== 'pass' && c.status !== 'skipped').map((c) => `${c.suite} › ${c.name}: ${c.message}`);
    expect(bad, r.stderr).toEqual([]);
    expect(r.code, r.stderr).toBe(0);

    const expected = await expectedCases();
    expect(expected.size, "the course has at least 45 labs").toBeGreaterThanOrEqual(45);
    for (const [suite, names] of expected) {
      const listed = cases.filter((c) => c.suite === suite);
      if (listed.length === 1 && listed[0]!.status === 'skipped') continue; // skipped with its reason, visibly
      expect(listed.map((c) => c.name), suite).toEqual(names);
    }
    expect(leftoversOf(prefix)).toEqual([]);
  }, 660_000);
});
