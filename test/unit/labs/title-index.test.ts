// The labs' title index (dist/labs/index.json): a fresh entry is used without loading the lab; a lab
// edited since, one added since or one outside the index is loaded; the walk of the labs folder is
// taken from the index while its folders are unchanged. Real files in a scratch folder.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLabs, labWalk, type LabRef } from '../../../src/labs/catalog.js';
import { LabTitles, writeLabIndex } from '../../../src/labs/title-index.js';

const scratch: string[] = [];
afterEach(() => {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tslabt-cli-title-index-'));
  scratch.push(dir);
  return dir;
}

const labSource = (title: string): string => `export default {
  title: ${JSON.stringify(title)},
  summary: 's',
  containers: {},
  steps: [{ title: 'a', say: 'b' }],
  controls: [],
};
`;

/** A whole second, so that a test can put a file's mtime back exactly */
const BUILT = new Date('2001-02-03T04:05:06Z');

function writeLab(root: string, id: string, title: string): void {
  mkdirSync(join(root, id), { recursive: true });
  writeFileSync(join(root, id, 'lab.ts'), labSource(title));
  utimesSync(join(root, id, 'lab.ts'), BUILT, BUILT);
}

/** A labs folder with two labs and an index written from them. */
async function indexedTree(): Promise<{ root: string; index: string; refs: LabRef[] }> {
  const root = folder();
  writeLab(root, 'a/one', 'One');
  writeLab(root, 'b/two', 'Two');
  const index = join(root, 'dist', 'labs', 'index.json');
  mkdirSync(join(root, 'dist', 'labs'), { recursive: true });
  const refs = findLabs(root, root);
  await writeLabIndex(refs, index);
  return { root, index, refs };
}

describe('lab title index', () => {
  it('holds each lab that loads, with its title and the size and mtime of its lab.ts', async () => {
    const { index } = await indexedTree();
    const labs = (JSON.parse(readFileSync(index, 'utf8')) as { labs: Array<{ id: string; title: string; file: string }> }).labs;
    expect(labs.map((l) => [l.id, l.title, l.file])).toEqual([['a/one', 'One', '../../a/one/lab.ts'], ['b/two', 'Two', '../../b/two/lab.ts']]);
  });

  it('a fresh entry gives the title without loading the lab', async () => {
    const { index, refs } = await indexedTree();
    // the lab no longer loads, with its size and mtime as indexed: a title now came from the index
    const one = refs.find((r) => r.id === 'a/one')!;
    writeFileSync(one.file, ' '.repeat(statSync(one.file).size));
    utimesSync(one.file, BUILT, BUILT);
    const titles = new LabTitles(index);
    expect(titles.indexed(one)).toBe('One');
    expect(await titles.titleOf(one)).toBe('One');
  });

  it('a lab.ts edited since the index falls back to loading the lab', async () => {
    const { index, refs } = await indexedTree();
    const two = refs.find((r) => r.id === 'b/two')!;
    writeFileSync(two.file, labSource('Two, edited'));
    const titles = new LabTitles(index);
    expect(titles.indexed(two)).toBeUndefined();
    expect(await titles.titleOf(two)).toBe('Two, edited');
  });

  it('a lab.ts of the same size but a newer mtime is stale too', async () => {
    const { index, refs } = await indexedTree();
    const one = refs.find((r) => r.id === 'a/one')!;
    writeFileSync(one.file, labSource('Ane'));
    const titles = new LabTitles(index);
    expect(titles.indexed(one)).toBeUndefined();
    expect(await titles.titleOf(one)).toBe('Ane');
  });

  it('a lab added since the index, and one outside its tree, are loaded', async () => {
    const { root, index } = await indexedTree();
    writeLab(root, 'a/three', 'Three');
    const outside = folder();
    writeLab(outside, 'elsewhere', 'Elsewhere');
    const titles = new LabTitles(index);
    const added = findLabs(root, root).find((r) => r.id === 'a/three')!;
    const [away] = findLabs(outside, outside);
    expect(titles.indexed(added)).toBeUndefined();
    expect(await titles.titleOf(added)).toBe('Three');
    expect(await titles.titleOf(away!)).toBe('Elsewhere');
  });

  it('a lab that does not load is left out of the index, and loading it says why', async () => {
    const root = folder();
    writeLab(root, 'good', 'Good');
    mkdirSync(join(root, 'bad'));
    writeFileSync(join(root, 'bad', 'lab.ts'), 'export const nothing = 1;\n');
    const index = join(root, 'index.json');
    const written = await writeLabIndex(findLabs(root, root), index);
    expect(written.map((l) => l.id)).toEqual(['good']);
    const bad = findLabs(root, root).find((r) => r.id === 'bad')!;
    await expect(new LabTitles(index).titleOf(bad)).rejects.toThrow(/no default export/);
  });

  it('without an index, or with an unreadable one, every title comes from loading', async () => {
    const root = folder();
    writeLab(root, 'x', 'X');
    const [x] = findLabs(root, root);
    writeFileSync(join(root, 'broken.json'), '{ not json');
    for (const file of [join(root, 'missing.json'), join(root, 'broken.json')]) {
      const titles = new LabTitles(file);
      expect(titles.indexed(x!)).toBeUndefined();
      expect(await titles.titleOf(x!)).toBe('X');
    }
  });
});

/** A labs folder whose folders and files all date from BUILT, indexed with its walk. */
async function walkedTree(): Promise<{ root: string; index: string; refs: LabRef[] }> {
  const root = folder();
  writeLab(root, 'a/one', 'One');
  writeLab(root, 'a/two', 'Two');
  writeLab(root, 'b/three', 'Three');
  for (const d of ['a/one', 'a/two', 'b/three', 'a', 'b', '.']) utimesSync(join(root, d), BUILT, BUILT);
  const index = join(folder(), 'index.json');
  const walked = labWalk();
  const refs = findLabs(root, root, walked);
  await writeLabIndex(refs, index, { root, walked });
  return { root, index, refs };
}

describe('lab index: the walk of the labs folder', () => {
  it('while no folder changed, gives the labs the walk finds, without walking', async () => {
    const { root, index, refs } = await walkedTree();
    expect(new LabTitles(index).labsUnder(root)).toEqual(refs);
    expect(refs.map((r) => r.id)).toEqual(['a/one', 'a/two', 'b/three']);
  });

  it('is not used for another folder', async () => {
    const { index } = await walkedTree();
    expect(new LabTitles(index).labsUnder(folder())).toBeUndefined();
  });

  it('a lab added, or one removed, since the index: the labs folder is walked again', async () => {
    const added = await walkedTree();
    writeLab(added.root, 'b/four', 'Four');
    expect(new LabTitles(added.index).labsUnder(added.root)).toBeUndefined();
    const removed = await walkedTree();
    rmSync(join(removed.root, 'a/two'), { recursive: true });
    expect(new LabTitles(removed.index).labsUnder(removed.root)).toBeUndefined();
  });

  it('a lab.ts removed (its folder may now hold labs below it): walked again', async () => {
    const { root, index } = await walkedTree();
    rmSync(join(root, 'a/one/lab.ts'));
    utimesSync(join(root, 'a/one'), BUILT, BUILT);
    expect(new LabTitles(index).labsUnder(root)).toBeUndefined();
  });

  it('a folder changed just before the walk is not trusted: the index holds no walk', async () => {
    const root = folder();
    writeLab(root, 'a/one', 'One');
    const index = join(folder(), 'index.json');
    const walked = labWalk();
    await writeLabIndex(findLabs(root, root, walked), index, { root, walked });
    expect(new LabTitles(index).labsUnder(root)).toBeUndefined();
  });

  it('a walk that met a symbolic link is not indexed: its target can change unseen', async () => {
    const { root } = await walkedTree();
    const elsewhere = folder();
    writeLab(elsewhere, 'five', 'Five');
    symlinkSync(elsewhere, join(root, 'b', 'linked'));
    utimesSync(join(root, 'b'), BUILT, BUILT);
    const index = join(folder(), 'index.json');
    const walked = labWalk();
    const refs = findLabs(root, root, walked);
    expect(refs.map((r) => r.id)).toContain('b/linked/five');
    await writeLabIndex(refs, index, { root, walked });
    expect(new LabTitles(index).labsUnder(root)).toBeUndefined();
  });
});

describe('lab index: a lab.ts with a new mtime (an npm install sets its own)', () => {
  it('the same content gives the indexed title without loading the lab', async () => {
    const { index, refs } = await indexedTree();
    const one = refs.find((r) => r.id === 'a/one')!;
    utimesSync(one.file, new Date(), new Date());
    const titles = new LabTitles(index);
    expect(titles.indexed(one)).toBeUndefined();
    // the index's title, though loading the lab now would fail: only the hash can have matched
    const json = JSON.parse(readFileSync(index, 'utf8')) as { labs: Array<{ id: string; title: string }> };
    json.labs.find((l) => l.id === 'a/one')!.title = 'One, from the index';
    writeFileSync(index, JSON.stringify(json));
    expect(await new LabTitles(index).titleOf(one)).toBe('One, from the index');
  });

  it('another content of the same size is loaded', async () => {
    const { index, refs } = await indexedTree();
    const one = refs.find((r) => r.id === 'a/one')!;
    writeFileSync(one.file, labSource('Ane'));
    expect(await new LabTitles(index).titleOf(one)).toBe('Ane');
  });
});

