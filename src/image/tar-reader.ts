// A push parser for tar streams (ustar, GNU and PAX): bytes go in with write(), each entry's
// header goes to a handler, and its body goes to the sink the handler returns, as subarrays of
// the chunks written (no copy, no stream per entry). It only parses: what an entry may do to a
// file system is decided by its user (unpack.ts).

export type TarEntryType =
  | 'file' | 'contiguous-file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface TarHeader {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  linkname: string | null;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** The entry's PAX records (SCHILY.xattr.* among them), when it has any. */
  pax: Record<string, string> | null;
}

/** Where an entry's body goes: write() for each piece in order, then end(). */
export interface BodySink {
  write(chunk: Buffer): void;
  end(): void;
}

/** Called for each entry; a body nobody wants (undefined) is skipped. */
export type EntryHandler = (header: TarHeader) => BodySink | undefined;

const BLOCK = 512;
/** Long names and PAX records are held in memory: more than this is not a layer tar. */
const MAX_META = 8 * 1024 * 1024;

const TYPES: Record<number, TarEntryType> = {
  0: 'file', 0x30: 'file', 0x31: 'link', 0x32: 'symlink', 0x33: 'character-device',
  0x34: 'block-device', 0x35: 'directory', 0x36: 'fifo', 0x37: 'contiguous-file',
};
const PAX = 0x78; // 'x'
const PAX_GLOBAL = 0x67; // 'g'
const GNU_LONG_NAME = 0x4c; // 'L'
const GNU_LONG_LINK = 0x4b; // 'K'

export class TarFormatError extends Error {}

/** A numeric field: octal digits (leading spaces/NULs, ended by space or NUL) or GNU base-256. */
function numberField(buf: Buffer, start: number, length: number): number {
  const end = start + length;
  const first = buf[start]!;
  if (first & 0x80) {
    // base-256: 0x80 marks a positive number, 0xff a negative one (two's complement)
    if (first === 0xff) {
      let complement = 0;
      for (let i = start + 1; i < end; i++) complement = complement * 256 + (0xff - buf[i]!);
      return -complement - 1;
    }
    let value = first & 0x7f;
    for (let i = start + 1; i < end; i++) value = value * 256 + buf[i]!;
    return value;
  }
  let i = start;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) i++;
  let value = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) return NaN;
    value = value * 8 + (c - 0x30);
  }
  return value;
}

/** A NUL-terminated string field. */
function stringField(buf: Buffer, start: number, length: number): string {
  let end = start;
  const limit = start + length;
  while (end < limit && buf[end] !== 0) end++;
  return buf.toString('utf8', start, end);
}

function isZeroBlock(buf: Buffer, start: number): boolean {
  for (let i = start; i < start + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

/** The header checksum: the sum of its bytes with the checksum field read as spaces. */
function checksums(buf: Buffer, start: number): { unsigned: number; signed: number } {
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = start; i < start + BLOCK; i++) {
    if (i - start >= 148 && i - start < 156) continue;
    const b = buf[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return { unsigned, signed };
}

/** PAX extended header records: "<length> <key>=<value>\n". */
function parsePax(body: Buffer, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break; // NUL padding after the last record
    let i = pos;
    let length = 0;
    while (i < body.length && body[i]! >= 0x30 && body[i]! <= 0x39) length = length * 10 + (body[i++]! - 0x30);
    const end = pos + length;
    if (body[i] !== 0x20 || length === 0 || end > body.length || body[end - 1] !== 0x0a) {
      throw new TarFormatError(`invalid PAX header ${where}: a malformed record at byte ${pos} of it`);
    }
    const eq = body.indexOf(0x3d, i + 1);
    if (eq === -1 || eq >= end) throw new TarFormatError(`invalid PAX header ${where}: a record without "=" at byte ${pos} of it`);
    out[body.toString('utf8', i + 1, eq)] = body.toString('utf8', eq + 1, end - 1);
    pos = end;
  }
  return out;
}

/** Pending metadata from 'x', 'L' and 'K' entries, for the next real entry. */
interface Pending {
  pax?: Record<string, string>;
  longName?: string;
  longLink?: string;
}

export class TarReader {
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Bytes of the current body still to come. */
  private bodyLeft = 0;
  /** Padding (or an unwanted body) still to skip. */
  private skipLeft = 0;
  private sink: BodySink | undefined;
  /** The body of a metadata entry being collected, and its type. */
  private meta: Buffer[] | undefined;
  private metaType = 0;
  private pending: Pending = {};
  private entryName = '';
  private entryStart = 0;
  private zeroBlocks = 0;
  private finished = false;
  /** Bytes of the archive consumed so far. */
  private offset = 0;

  constructor(private readonly onEntry: EntryHandler) {}

  write(chunk: Buffer): void {
    const length = chunk.length;
    let pos = 0;
    while (pos < length) {
      if (this.finished) return; // after the end-of-archive blocks: ignored, as tar does
      if (this.skipLeft > 0) {
        const n = Math.min(this.skipLeft, length - pos);
        this.skipLeft -= n;
        pos += n;
        this.offset += n;
        continue;
      }
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, length - pos);
        const piece = chunk.subarray(pos, pos + n);
        this.bodyLeft -= n;
        pos += n;
        this.offset += n;
        if (this.meta) this.meta.push(Buffer.from(piece)); // the caller may reuse its chunk
        else this.sink?.write(piece);
        if (this.bodyLeft === 0) this.endBody();
        continue;
      }
      if (this.headerFill === 0 && length - pos >= BLOCK) {
        pos += BLOCK;
        this.offset += BLOCK;
        this.readHeader(chunk, pos - BLOCK);
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, length - pos);
      chunk.copy(this.header, this.headerFill, pos, pos + n);
      this.headerFill += n;
      pos += n;
      this.offset += n;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.readHeader(this.header, 0);
      }
    }
  }

  /** The input is over: a cut header or body is an error; missing end-of-archive blocks are not. */
  end(): void {
    if (this.finished) return;
    if (this.headerFill > 0) {
      throw new TarFormatError(`truncated archive: it ends inside a header (at byte ${this.offset}, ${this.headerFill} of its ${BLOCK} bytes)`);
    }
    if (this.bodyLeft > 0) {
      throw new TarFormatError(`truncated archive: entry "${this.entryName}" (header at byte ${this.entryStart}) lacks the last ${this.bodyLeft} bytes of its content`);
    }
    if (this.pending.pax || this.pending.longName !== undefined || this.pending.longLink !== undefined) {
      throw new TarFormatError(`truncated archive: it ends after an extended header (at byte ${this.offset}) without the entry it describes`);
    }
    this.finished = true;
  }

  private endBody(): void {
    this.skipLeft = (BLOCK - (this.offset % BLOCK)) % BLOCK;
    if (this.meta) {
      const body = Buffer.concat(this.meta);
      this.meta = undefined;
      const where = `at byte ${this.entryStart}`;
      if (this.metaType === PAX) this.pending.pax = { ...this.pending.pax, ...parsePax(body, where) };
      else if (this.metaType === GNU_LONG_NAME) this.pending.longName = stringField(body, 0, body.length);
      else if (this.metaType === GNU_LONG_LINK) this.pending.longLink = stringField(body, 0, body.length);
      else parsePax(body, where); // a global header: checked, but it describes no entry of ours
      return;
    }
    const sink = this.sink;
    this.sink = undefined;
    sink?.end();
  }

  private readHeader(buf: Buffer, start: number): void {
    const at = this.offset - BLOCK;
    if (isZeroBlock(buf, start)) {
      if (++this.zeroBlocks === 2) this.finished = true;
      return;
    }
    this.zeroBlocks = 0;
    const { unsigned, signed } = checksums(buf, start);
    const stored = numberField(buf, start + 148, 8);
    let name = stringField(buf, start, 100);
    if (stored !== unsigned && stored !== signed) {
      throw new TarFormatError(`invalid tar header at byte ${at} (entry "${name}"): checksum ${stored} does not match its bytes (${unsigned}); the archive is corrupt or still compressed`);
    }
    const flag = buf[start + 156]!;
    const size = numberField(buf, start + 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError(`invalid tar header at byte ${at} (entry "${name}"): bad size field`);
    this.entryStart = at;

    if (flag === PAX || flag === PAX_GLOBAL || flag === GNU_LONG_NAME || flag === GNU_LONG_LINK) {
      if (size > MAX_META) throw new TarFormatError(`invalid tar header at byte ${at}: an extended header of ${size} bytes`);
      this.entryName = name;
      this.meta = [];
      this.metaType = flag;
      this.bodyLeft = size;
      if (size === 0) this.endBody();
      return;
    }

    // ustar ("ustar\0") has a prefix for long names; GNU ("ustar  \0") uses those bytes otherwise
    if (buf[start + 257] === 0x75 && buf.toString('latin1', start + 257, start + 263) === 'ustar\0' && buf[start + 345] !== 0) {
      name = `${stringField(buf, start + 345, 155)}/${name}`;
    }
    // unknown types are regular files, as tar takes them; old tars mark folders by a trailing '/'
    let type = TYPES[flag] ?? 'file';
    if ((flag === 0 || flag === 0x30) && name.endsWith('/')) type = 'directory';
    const header: TarHeader = {
      name,
      type,
      mode: numberField(buf, start + 100, 8),
      uid: numberField(buf, start + 108, 8),
      gid: numberField(buf, start + 116, 8),
      size,
      mtime: new Date(numberField(buf, start + 136, 12) * 1000),
      linkname: buf[start + 157] === 0 ? null : stringField(buf, start + 157, 100),
      uname: stringField(buf, start + 265, 32),
      gname: stringField(buf, start + 297, 32),
      devmajor: numberField(buf, start + 329, 8),
      devminor: numberField(buf, start + 337, 8),
      pax: null,
    };
    this.applyPending(header, at);
    this.pending = {};
    this.entryName = header.name;
    this.bodyLeft = header.size;
    this.sink = this.onEntry(header);
    if (header.size === 0) this.endBody();
  }

  private applyPending(header: TarHeader, at: number): void {
    const { pax, longName, longLink } = this.pending;
    if (longName !== undefined) header.name = longName;
    if (longLink !== undefined) header.linkname = longLink;
    if (!pax) return;
    header.pax = pax;
    const number = (key: string): number | undefined => {
      const v = pax[key];
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new TarFormatError(`invalid PAX header at byte ${at} (entry "${header.name}"): ${key}=${v}`);
      return n;
    };
    if (pax.path) header.name = pax.path;
    if (pax.linkpath) header.linkname = pax.linkpath;
    if (pax.uname !== undefined) header.uname = pax.uname;
    if (pax.gname !== undefined) header.gname = pax.gname;
    const size = number('size');
    if (size !== undefined) {
      if (!Number.isSafeInteger(size)) throw new TarFormatError(`invalid PAX header at byte ${at} (entry "${header.name}"): size=${pax.size}`);
      header.size = size;
    }
    const uid = number('uid');
    if (uid !== undefined) header.uid = Math.trunc(uid);
    const gid = number('gid');
    if (gid !== undefined) header.gid = Math.trunc(gid);
    const mtime = number('mtime');
    if (mtime !== undefined) header.mtime = new Date(Math.round(mtime * 1000));
  }
}
