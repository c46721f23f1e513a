// Negative controls: a check is worth having only if it fails when its isolation is removed. Each lab
// runs against a wrapper around runc (test/fixtures/runtimes/) that removes that isolation, and must
// FAIL, with the checks named here among the failures.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLabs } from '../../../src/labs/catalog.js';
import { loadLab } from '../../../src/labs/load.js';
import { leftoversOf, readJunit, ROOT, RUNTIMES, tslab } from '../../e2e/lab-helpers.js';
import { removeDefaultNetworkAfterAll } from '../../helpers/default-network.js';
import { sysvIpcLeftovers, sysvIpcObjects } from '../../helpers/leftovers.js';


const LABS = join(ROOT, 'labs');
const work = mkdtempSync(join(tmpdir(), 'tslabt-labs-neg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
removeDefaultNetworkAfterAll(); // the network labs bring up tslab0 on the default data root

const labs = await Promise.all(findLabs(LABS, LABS).map(async (l) => ({ id: l.id, def: await loadLab(l) })));

describe('negative controls', () => {
  it('every lab declares one', () => {
    const missing = labs.filter((l) => l.def.controls.length === 0).map((l) => l.id);
    expect(missing, 'declare `controls` in the lab with a wrapper that removes its isolation').toEqual([]);
  });

  const cases = labs.flatMap((l) => l.def.controls.map((control) => [l.id, control.wrapper, control] as const));
  it.each(cases)('%s fails under %s', async (id, _wrapper, control) => {
    const out = join(work, `${id.replace(/\//g, '-')}-${control.wrapper}.xml`);
    // this run's own prefix: other checkouts may run the same controls on the same kernel at once
    const prefix = `tslabt-neg${process.pid}-`;
    const ipcBefore = sysvIpcObjects();
    const r = await tslab(['test', id, '--runtime', join(RUNTIMES, control.wrapper), '--reporter', 'junit', '--output', out, '--name-prefix', prefix]);
    expect(r.code, `${id} passed under ${control.wrapper}: its checks cannot fail\n${r.stderr}`).toBe(1);
    const junit = readJunit(out);
    const lab = junit.find((c) => c.name === 'lab');
    if (control.mustFail.length > 0) {
      expect(lab, `the lab itself broke instead of its checks failing: ${lab?.message}`).toBeUndefined();
      for (const title of control.mustFail) {
        const tc = junit.find((c) => c.name.endsWith(` › ${title}`));
        expect(tc, `no check "${title}" in ${id}`).toBeDefined();
        expect(tc!.status, `"${title}" under ${control.wrapper}`).toBe('failure');
      }
    }
    expect(leftoversOf(prefix)).toEqual([]);
    // the ipc lab's control once left the container's segment on the host (no IPC namespace)
    expect(sysvIpcLeftovers(ipcBefore)).toEqual([]);
  }, 180_000);
});
