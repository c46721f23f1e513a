// writeFileAtomic: the file appears whole with the asked-for mode and owner, replaces the old one in
// one step, and a write that fails leaves neither a partial file nor a temporary one. Real files.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/write-atomic.js';

const scratch: string[] = [];
afterEach(() => {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tslabt-write-atomic-'));
  scratch.push(dir);
  return dir;
}

describe('writeFileAtomic', () => {
  it('replaces an old file with the whole new content and leaves only the file', () => {
    const dir = folder();
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old content, longer than the new');
    writeFileAtomic(file, '{"new":1}');
    expect(readFileSync(file, 'utf8')).toBe('{"new":1}');
    writeFileAtomic(file, Buffer.from('bytes'), { durable: true });
    expect(readFileSync(file, 'utf8')).toBe('bytes');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('gives a new file the mode asked for', () => {
    const dir = folder();
    const file = join(dir, 'auth.json');
    writeFileAtomic(file, 'secret', { mode: 0o600 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it.runIf(process.getuid?.() === 0)('gives the file to the owner asked for before it appears (needs root)', () => {
    const dir = folder();
    const file = join(dir, 'progress.json');
    writeFileAtomic(file, '{}', { owner: { uid: 65534, gid: 65534 } });
    const st = statSync(file);
    expect([st.uid, st.gid]).toEqual([65534, 65534]);
  });

  it('leaves no temporary file when the rename fails, and keeps what was there', () => {
    const dir = folder();
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'x');
    expect(() => writeFileAtomic(target, 'data')).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readdirSync(target)).toEqual(['inside']);
  });

  it('fails with the path named when the folder is missing', () => {
    const dir = folder();
    expect(() => writeFileAtomic(join(dir, 'no', 'such.json'), 'data')).toThrow(/ENOENT.*no\/such\.json/);
  });
});
