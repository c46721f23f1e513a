// The unpack path's tar reader against archives made by GNU tar, with tar-stream as the oracle.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, linkSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract } from 'tar-stream';
import { TarReader, type TarHeader } from '../../../src/image/tar-reader.js';

interface Entry {
  header: TarHeader;
  body: Buffer;
}

/** Feeds `tar` to our reader in chunks of the given sizes (cycled) and collects the entries. */
function readEntries(tar: Buffer, sizes: number[] = [tar.length]): Entry[] {
  const entries: Entry[] = [];
  const reader = new TarReader((header) => {
    const pieces: Buffer[] = [];
    entries.push({ header, body: Buffer.alloc(0) });
    const entry = entries[entries.length - 1]!;
    return {
      write: (chunk) => pieces.push(Buffer.from(chunk)),
      end: () => {
        entry.body = Buffer.concat(pieces);
      },
    };
  });
  let pos = 0;
  for (let i = 0; pos < tar.length; i++) {
    const n = sizes[i % sizes.length]!;
    // a copy that is then overwritten: the reader must not keep the caller's chunk
    const chunk = Buffer.from(tar.subarray(pos, pos + n));
    reader.write(chunk);
    chunk.fill(0xee);
    pos += n;
  }
  reader.end();
  return entries;
}

/** The same archive read by tar-stream, in the reader's terms. */
async function oracleEntries(tar: Buffer): Promise<Entry[]> {
  const entries: Entry[] = [];
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const pieces: Buffer[] = [];
    stream.on('data', (c: unknown) => pieces.push(c as Buffer));
    stream.on('end', () => {
      entries.push({ header: { ...header, type: header.type ?? 'file' } as TarHeader, body: Buffer.concat(pieces) });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve).on('error', reject);
    Readable.from([tar]).pipe(ex as unknown as NodeJS.WritableStream);
  });
  return entries;
}

/** What both readers must agree on (PAX mtimes have sub-second digits tar-stream does not read). */
function comparable(entries: Entry[]): unknown[] {
  return entries.map(({ header: h, body }) => ({
    name: h.name, type: h.type, mode: h.mode, uid: h.uid, gid: h.gid, size: h.size, seconds: Math.floor(h.mtime.getTime() / 1000),
    linkname: h.linkname, uname: h.uname, gname: h.gname, devmajor: h.devmajor, devminor: h.devminor, pax: h.pax, body: body.toString('base64'),
  }));
}

/** A raw 512-byte header; `fields` overrides bytes at offsets, and the checksum is computed last. */
function rawHeader(name: string, typeflag: string, size: number, fields: Record<number, Buffer> = {}): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0);
  b.write('0000644\0', 100);
  b.write('0000000\0', 108);
  b.write('0000000\0', 116);
  b.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  b.write('14540000000\0', 136);
  b.write(typeflag, 156);
  b.write('ustar\x0000', 257);
  for (const [at, bytes] of Object.entries(fields)) bytes.copy(b, Number(at));
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return b;
}

const pad = (body: Buffer): Buffer => Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
const END = Buffer.alloc(1024);

let work: string;
let tree: string;
const longDir = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(60)}`; // > 100 chars, a ustar prefix
const longerName = `${'g'.repeat(90)}/${'h'.repeat(90)}/${'i'.repeat(90)}/file`; // > 255 chars
const longTarget = `../${'t'.repeat(150)}`;

function gnuTar(...args: string[]): Buffer {
  return execFileSync('tar', ['-C', tree, '--sort=name', '-cf', '-', ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/** One PAX record, its length counting itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = rest.length + 1;
  while (`${length}${rest}`.length !== length) length++;
  return `${length}${rest}`;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tslabt-tar-reader-'));
  tree = join(work, 'tree');
  mkdirSync(join(tree, 'dir', 'sub'), { recursive: true });
  writeFileSync(join(tree, 'dir', 'empty'), '');
  writeFileSync(join(tree, 'dir', 'small'), 'hello\n');
  writeFileSync(join(tree, 'dir', 'block'), Buffer.alloc(512, 0x61));
  writeFileSync(join(tree, 'dir', 'big'), Buffer.from(Array.from({ length: 70_001 }, (_, i) => (i * 7919) % 251)));
  symlinkSync('small', join(tree, 'dir', 'link-to-small'));
  linkSync(join(tree, 'dir', 'small'), join(tree, 'dir', 'hard'));
  execFileSync('mkfifo', [join(tree, 'dir', 'fifo')]);
  mkdirSync(join(tree, longDir), { recursive: true });
  writeFileSync(join(tree, longDir, 'x'), 'in a long folder');
  mkdirSync(join(tree, longerName, '..'), { recursive: true });
  writeFileSync(join(tree, longerName), 'a name longer than 255');
  symlinkSync(longTarget, join(tree, 'dir', 'long-link'));
  utimesSync(join(tree, 'dir', 'small'), 1_700_000_000.5, 1_700_000_000.5);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('tar reader', () => {
  const archives: [string, () => Buffer][] = [
    ['GNU format', () => gnuTar('--numeric-owner', '--format=gnu', '.')],
    ['POSIX (PAX) format', () => gnuTar('--numeric-owner', '--format=posix', '.')],
    // ustar has no long link targets, and names of at most 155 + 100 bytes
    ['ustar format', () => gnuTar('--numeric-owner', '--format=ustar', '--exclude=long-link', 'dir', longDir)],
  ];

  for (const [label, make] of archives) {
    it(`reads a ${label} archive by GNU tar as tar-stream does`, async () => {
      const tar = make();
      const ours = readEntries(tar);
      expect(comparable(ours)).toEqual(comparable(await oracleEntries(tar)));
      const names = ours.map((e) => e.header.name);
      expect(names).toContain(`./${longDir}/x`.replace('./', label === 'ustar format' ? '' : './'));
      const types = new Set(ours.map((e) => e.header.type));
      for (const t of ['file', 'directory', 'symlink', 'link', 'fifo']) expect(types).toContain(t);
      if (label !== 'ustar format') {
        expect(names).toContain(`./${longerName}`);
        expect(ours.find((e) => e.header.name.endsWith('long-link'))?.header.linkname).toBe(longTarget);
      }
    });

    it(`yields the same entries from a ${label} archive whatever the chunk boundaries`, () => {
      const tar = make();
      const whole = comparable(readEntries(tar));
      let seed = 42;
      const random = Array.from({ length: 64 }, () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return 1 + (seed % 3000);
      });
      for (const sizes of [[511], [512], [513], [1, 2, 1021], random]) expect(comparable(readEntries(tar, sizes))).toEqual(whole);
    });
  }

  it('reads every chunk boundary of a small archive, down to 1-byte chunks', () => {
    const tar = gnuTar('--numeric-owner', '--format=posix', 'dir/small', 'dir/link-to-small', 'dir/long-link');
    const whole = comparable(readEntries(tar));
    expect(whole).toHaveLength(3);
    expect(comparable(readEntries(tar, [1]))).toEqual(whole);
    for (let cut = 1; cut < tar.length; cut += 37) expect(comparable(readEntries(tar, [cut, tar.length]))).toEqual(whole);
  });

  it('reads a base-256 uid written by GNU tar', async () => {
    const tar = gnuTar('--numeric-owner', '--format=gnu', '--owner=4000000000', '--group=4000000001', 'dir/small');
    const [entry] = readEntries(tar);
    expect(tar[108]).toBe(0x80);
    expect(entry!.header.uid).toBe(4000000000);
    expect(entry!.header.gid).toBe(4000000001);
    expect(comparable([entry!])).toEqual(comparable(await oracleEntries(tar)));
  });

  it('reads uid, gid, mtime and names from PAX records', () => {
    const tar = gnuTar('--format=posix', '--owner=alice:4000000000', '--group=staff:4000000001', 'dir/small');
    const [entry] = readEntries(tar);
    expect(entry!.header).toMatchObject({ name: 'dir/small', uid: 4000000000, gid: 4000000001, uname: 'alice', gname: 'staff' });
    expect(entry!.header.mtime.getTime()).toBe(1_700_000_000_500);
    expect(entry!.body.toString()).toBe('hello\n');
  });

  it('reads hand-made base-256 size and mtime fields, and a device', () => {
    const size = Buffer.alloc(12);
    size[0] = 0x80;
    size.writeUInt32BE(5, 8);
    const mtime = Buffer.alloc(12, 0xff); // base-256 -1: one second before 1970
    const tar = Buffer.concat([
      rawHeader('f', '0', 0, { 124: size, 136: mtime }), pad(Buffer.from('12345')),
      rawHeader('dev/null', '3', 0, { 329: Buffer.from('0000001\0'), 337: Buffer.from('0000003\0') }),
      END,
    ]);
    const [f, dev] = readEntries(tar);
    expect(f!.header.size).toBe(5);
    expect(f!.header.mtime.getTime()).toBe(-1000);
    expect(f!.body.toString()).toBe('12345');
    expect(dev!.header).toMatchObject({ type: 'character-device', devmajor: 1, devminor: 3 });
  });

  it('ignores a PAX global header and applies a per-entry one', () => {
    const global = Buffer.from(paxRecord('comment', 'global'));
    const pax = Buffer.from(paxRecord('path', 'from/pax/records.txt'));
    const tar = Buffer.concat([
      rawHeader('pax_global_header', 'g', global.length), pad(global),
      rawHeader('PaxHeaders/short', 'x', pax.length), pad(pax),
      rawHeader('short', '0', 2), pad(Buffer.from('hi')),
      rawHeader('after', '0', 0),
      END,
    ]);
    const entries = readEntries(tar);
    expect(entries.map((e) => e.header.name)).toEqual(['from/pax/records.txt', 'after']);
    expect(entries[0]!.header.pax).toEqual({ path: 'from/pax/records.txt' });
    expect(entries[1]!.header.pax).toBeNull();
  });

  it('takes GNU long name and long link entries for the next entry only', () => {
    const name = Buffer.from(`${'n'.repeat(300)}\0`);
    const target = Buffer.from(`${'l'.repeat(200)}\0`);
    const tar = Buffer.concat([
      rawHeader('././@LongLink', 'L', name.length), pad(name),
      rawHeader('././@LongLink', 'K', target.length), pad(target),
      rawHeader('cut-name', '2', 0, { 157: Buffer.from('cut-target') }),
      rawHeader('plain', '2', 0, { 157: Buffer.from('t') }),
      END,
    ]);
    const entries = readEntries(tar, [100]);
    expect(entries.map((e) => [e.header.name, e.header.linkname])).toEqual([['n'.repeat(300), 'l'.repeat(200)], ['plain', 't']]);
  });

  it('stops at two zero blocks and ignores what follows', () => {
    const tar = Buffer.concat([rawHeader('a', '0', 0), END, Buffer.from('garbage after the end')]);
    expect(readEntries(tar, [7]).map((e) => e.header.name)).toEqual(['a']);
  });

  it('accepts an archive that ends without its zero blocks', () => {
    const tar = Buffer.concat([rawHeader('a', '0', 3), pad(Buffer.from('abc'))]);
    expect(readEntries(tar).map((e) => e.body.toString())).toEqual(['abc']);
  });

  it('rejects a header with a bad checksum, naming the entry and its offset', () => {
    const tar = gnuTar('--numeric-owner', '--format=gnu', 'dir/small', 'dir/block');
    const second = 512 * 2;
    tar[second + 5] ^= 0x01;
    expect(() => readEntries(tar)).toThrow(/invalid tar header at byte 1024 \(entry "dir\/bmock"\): checksum \d+ does not match/);
  });

  it('rejects a header cut in the middle as a truncated archive', () => {
    const tar = gnuTar('--numeric-owner', '--format=gnu', 'dir/small', 'dir/block');
    expect(() => readEntries(tar.subarray(0, 1024 + 100), [300])).toThrow(/^truncated archive: it ends inside a header \(at byte 1124/);
  });

  it('rejects a body cut short as a truncated archive, naming the entry', () => {
    const tar = gnuTar('--numeric-owner', '--format=gnu', 'dir/small', 'dir/big');
    expect(() => readEntries(tar.subarray(0, 1024 + 512 + 4000))).toThrow(/^truncated archive: entry "dir\/big" \(header at byte 1024\) lacks the last 66001 bytes/);
  });

  it('rejects an extended header with no entry after it, and a malformed PAX record', () => {
    const pax = Buffer.from(paxRecord('path', 'from/pax/records.txt'));
    expect(() => readEntries(Buffer.concat([rawHeader('x', 'x', pax.length), pad(pax)]))).toThrow(/^truncated archive: it ends after an extended header/);
    const bad = Buffer.from('99 path=short\n');
    expect(() => readEntries(Buffer.concat([rawHeader('x', 'x', bad.length), pad(bad), rawHeader('a', '0', 0), END]))).toThrow(/invalid PAX header at byte 0/);
  });
});
