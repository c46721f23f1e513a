// Loading lab definitions: the real labs load and are well formed; broken ones name file and line.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findLabs, type LabRef } from '../../../src/labs/catalog.js';
import { LabError, loadLab, locate } from '../../../src/labs/load.js';

const LABS = resolve(new URL('../../../labs', import.meta.url).pathname);
const scratch: string[] = [];
afterEach(() => {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

function labFrom(source: string): LabRef {
  const dir = mkdtempSync(join(tmpdir(), 'tslabt-load-'));
  scratch.push(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lab.ts'), source);
  return { name: 'broken', id: 'test/broken', dir, file: join(dir, 'lab.ts') };
}

describe('loading labs', () => {
  it('loads every lab of the curriculum, each with a README and at least one check per lab', async () => {
    for (const ref of findLabs(LABS, LABS)) {
      const lab = await loadLab(ref);
      expect(lab.title, ref.id).not.toBe('');
      expect(lab.steps.flatMap((s) => s.checks ?? []).length, ref.id).toBeGreaterThan(0);
      expect(existsSync(join(ref.dir, 'README.md')), `${ref.id}/README.md`).toBe(true);
    }
  });

  it('reports a syntax error with the lab, the file and the line', async () => {
    const ref = labFrom('export default {\n  title: "x",\n  summary: "y"\n  containers: {},\n};\n');
    const err = await loadLab(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as Error).message).toMatch(/^test\/broken: .*lab\.ts:4:3: syntax error: ',' expected/);
  });

  it('reports a missing default export and bad fields by name', async () => {
    await expect(loadLab(labFrom('export const x = 1;\n'))).rejects.toThrow(/no default export/);
    await expect(loadLab(labFrom('export default { title: "t", summary: "s", containers: { c: {} }, steps: [] };\n')))
      .rejects.toThrow(/container "c" needs an "image"/);
    await expect(loadLab(labFrom('export default { title: "t", summary: "s", containers: {}, steps: [] };\n')))
      .rejects.toThrow(/"steps" must be a non-empty list/);
    await expect(loadLab(labFrom('export default { title: "t", summary: "s", containers: {}, steps: [{ title: "a", say: "" }] };\n')))
      .rejects.toThrow(/"controls" must be a list of negative controls/);
  });

  it('maps an error thrown by a check back to the line in lab.ts', async () => {
    const ref = labFrom([
      'export default {',
      '  title: "t", summary: "s", containers: {},',
      '  steps: [{ title: "one", say: "", checks: [{ title: "throws", from: "outside", hint: "h",',
      '    verify: () => {',
      '      throw new Error("boom");',
      '    },',
      '  }] }],',
      '  controls: [],',
      '};',
      '',
    ].join('\n'));
    const lab = await loadLab(ref);
    let thrown: unknown;
    try {
      await lab.steps[0]!.checks![0]!.verify({} as never);
    } catch (e) {
      thrown = e;
    }
    expect(locate(thrown, ref.file)).toMatch(/lab\.ts:5:\d+$/);
  });

  it('reports an error thrown while the module is evaluated, with its line', async () => {
    const ref = labFrom('const x: number = 1;\nthrow new Error("at load time");\nexport default {};\n');
    await expect(loadLab(ref)).rejects.toThrow(/lab\.ts:2:\d+: at load time/);
  });

  it('maps a frame in the build\'s copy of a shipped lab (dist/labs/…/lab.js) back to its lab.ts', () => {
    // in a plain node (the CLI's case): vitest would apply the source maps itself
    const script = `
      const { findLabs } = await import(${JSON.stringify(new URL('../../../dist/src/labs/catalog.js', import.meta.url).href)});
      const { loadLab, locate } = await import(${JSON.stringify(new URL('../../../dist/src/labs/load.js', import.meta.url).href)});
      const ref = findLabs(process.argv[1] + '/foundations/one-kernel', process.argv[1])[0];
      const lab = await loadLab(ref);
      // no lab to check against: the check's own line throws (reading lab.expect)
      try { await lab.steps[0].checks[0].verify({}); } catch (e) { console.log(e.stack.split('\\n')[1].trim(), '->', locate(e, ref.file)); }`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, LABS], { encoding: 'utf8' }).trim();
    // the stack names the build's copy; the first check's verify is on line 26 of its lab.ts
    expect(out).toMatch(/dist\/labs\/foundations\/one-kernel\/lab\.js:\d+:\d+\)? -> .*one-kernel\/lab\.ts:26:\d+$/);
  });
});
