// A layer unpacked while it downloads reads its blob file behind the writer: the reader must wait
// at the written length, never end early, and end exactly when the blob is sealed.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GrowingFile } from '../../../src/image/growing-file.js';
import { ImageStore, type IngestWatcher } from '../../../src/image/store.js';
import { sha256Digest } from '../../../src/image/digest.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});
function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'tslabt-growing-'));
  roots.push(d);
  return d;
}

function collect(stream: Readable): { chunks: Buffer[]; ended: Promise<Buffer> } {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { chunks, ended: new Promise((resolve, reject) => stream.on('end', () => resolve(Buffer.concat(chunks))).on('error', reject)) };
}

describe('GrowingFile', () => {
  it('reads only what is written, waits at that length, and ends when sealed', async () => {
    const path = join(folder(), 'blob');
    writeFileSync(path, '');
    const fd = openSync(path, 'r');
    try {
      const file = new GrowingFile(fd);
      const { chunks, ended } = collect(file);
      let done = false;
      void ended.then(() => { done = true; });
      appendFileSync(path, 'hello ');
      appendFileSync(path, 'not yet told');
      file.grow(6);
      await new Promise((r) => setImmediate(r));
      expect(Buffer.concat(chunks).toString()).toBe('hello ');
      expect(done).toBe(false);
      file.grow(18);
      await new Promise((r) => setImmediate(r));
      expect(done).toBe(false);
      file.seal();
      expect((await ended).toString()).toBe('hello not yet told');
    } finally {
      closeSync(fd);
    }
  });

  it('fails when the file is shorter than it was told', async () => {
    const path = join(folder(), 'blob');
    writeFileSync(path, 'abc');
    const fd = openSync(path, 'r');
    try {
      const file = new GrowingFile(fd);
      const { ended } = collect(file);
      file.grow(10);
      file.seal();
      await expect(ended).rejects.toThrow(/shorter \(3 bytes\) than the 10 bytes/);
    } finally {
      closeSync(fd);
    }
  });
});

describe('ImageStore.ingest with a watcher', () => {
  function recorder(): IngestWatcher & { events: string[]; path?: string } {
    const r: IngestWatcher & { events: string[]; path?: string } = {
      events: [],
      opened(path) { r.path = path; r.events.push('opened'); },
      // what is on disk when told (the file is gone if the ingest has already given up)
      wrote(total) { r.events.push(`wrote ${total} ${existsSync(r.path!) ? readFileSync(r.path!).length : 'gone'}`); },
      closed(stored) { r.events.push(`closed ${stored}`); },
    };
    return r;
  }

  it('reports each write after it is on disk, then the stored blob', async () => {
    const s = new ImageStore(folder());
    const watch = recorder();
    await s.ingest(Readable.from([Buffer.from('abc'), Buffer.from('defg')]), sha256Digest('abcdefg'), 7, 'blob', watch);
    expect(watch.events).toEqual(['opened', 'wrote 3 3', 'wrote 7 7', 'closed true']);
    expect(readFileSync(s.blobPath(sha256Digest('abcdefg')), 'utf8')).toBe('abcdefg');
  });

  it('says the blob was not stored when its content is wrong', async () => {
    const s = new ImageStore(folder());
    const watch = recorder();
    await expect(s.ingest(Readable.from([Buffer.from('abc')]), sha256Digest('xyz'), 3, 'blob', watch)).rejects.toThrow(/failed verification/);
    expect(watch.events[0]).toBe('opened');
    expect(watch.events[watch.events.length - 1]).toBe('closed false');
  });
});
