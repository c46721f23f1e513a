// Finding labs by path and by name, against the real labs/ folder and a scratch one.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findLabs, resolveLab, selectLabs } from '../../../src/labs/catalog.js';

const LABS = resolve(new URL('../../../labs', import.meta.url).pathname);
const scratch: string[] = [];
afterEach(() => {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(paths: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'tslabt-catalog-'));
  scratch.push(root);
  for (const p of paths) {
    mkdirSync(join(root, p), { recursive: true });
    writeFileSync(join(root, p, 'lab.ts'), 'export default {};\n');
  }
  return root;
}

describe('lab catalog', () => {
  it('finds the curriculum: at least 18 labs of ours, each with a README', () => {
    const labs = findLabs(LABS, LABS).filter((l) => !l.id.startsWith('network/'));
    expect(labs.length).toBeGreaterThanOrEqual(18);
    for (const area of ['namespaces', 'cgroups', 'overlay', 'security']) {
      expect(labs.some((l) => l.id.startsWith(`${area}/`))).toBe(true);
    }
  });

  it('resolves a path, a bare name and a labs/ name to the same lab', () => {
    const byPath = resolveLab(join(LABS, 'namespaces/pid-namespace'), LABS);
    expect(byPath.id).toBe('namespaces/pid-namespace');
    for (const name of ['pid-namespace', 'labs/pid-namespace', 'labs/namespaces/pid-namespace', 'namespaces/pid-namespace']) {
      expect(resolveLab(name, LABS).dir).toBe(byPath.dir);
    }
  });

  it('refuses an ambiguous name and names the candidates', () => {
    const root = tree(['a/same', 'b/same', 'b/other']);
    expect(() => resolveLab('same', root)).toThrow(/a\/same, b\/same/);
    expect(resolveLab('b/same', root).id).toBe('b/same');
    expect(resolveLab('other', root).id).toBe('b/other');
  });

  it('says when no lab has the name', () => {
    const root = tree(['a/x']);
    expect(() => resolveLab('nope', root)).toThrow(/no lab "nope"/);
  });

  it('selects every lab below a folder, without duplicates', () => {
    const root = tree(['a/x', 'a/y', 'b/z']);
    const picked = selectLabs([join(root, 'a'), join(root, 'a/x'), 'z'], root).map((l) => l.id);
    expect(picked).toEqual(['a/x', 'a/y', 'b/z']);
    expect(selectLabs([], root).map((l) => l.id)).toEqual(['a/x', 'a/y', 'b/z']);
  });
});
