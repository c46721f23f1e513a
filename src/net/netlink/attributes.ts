// Netlink attributes (struct nlattr): a 4-byte header { u16 len, u16 type } and a payload, each
// attribute padded to 4 bytes. Nested attributes carry a list of attributes as their payload.
import { NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK } from './constants.js';

export interface Attr {
  type: number;
  /** raw bytes, or a list of attributes for a nested attribute */
  value: Buffer | Attr[];
  /** set NLA_F_NESTED on a nested attribute (iproute2 leaves it clear for IFLA_LINKINFO) */
  nestedFlag?: boolean;
}

export const align4 = (n: number): number => (n + 3) & ~3;

export function u8Attr(type: number, v: number): Attr {
  return { type, value: Buffer.from([v & 0xff]) };
}

export function u32Attr(type: number, v: number): Attr {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return { type, value: b };
}

/** A NUL-terminated string, as the kernel expects for names (IFLA_IFNAME, IFLA_INFO_KIND). */
export function stringAttr(type: number, s: string): Attr {
  return { type, value: Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]) };
}

/** A string without NUL, as iproute2 sends IFLA_INFO_KIND (the kernel takes both forms). */
export function rawStringAttr(type: number, s: string): Attr {
  return { type, value: Buffer.from(s, 'utf8') };
}

export function bytesAttr(type: number, b: Buffer): Attr {
  return { type, value: b };
}

export function nestedAttr(type: number, children: Attr[]): Attr {
  return { type, value: children };
}

export function encodeAttrs(attrs: Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const attr of attrs) {
    const payload = Array.isArray(attr.value) ? encodeAttrs(attr.value) : attr.value;
    const len = NLA_HDRLEN + payload.length;
    const out = Buffer.alloc(align4(len));
    out.writeUInt16LE(len, 0);
    out.writeUInt16LE(attr.type | (attr.nestedFlag ? NLA_F_NESTED : 0), 2);
    payload.copy(out, NLA_HDRLEN);
    parts.push(out);
  }
  return Buffer.concat(parts);
}

/** Parses a run of attributes; later duplicates win. Types are masked of NLA_F_NESTED/BYTEORDER. */
export function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + NLA_HDRLEN <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN || off + len > buf.length) break;
    out.set(type, buf.subarray(off + NLA_HDRLEN, off + len));
    off += align4(len);
  }
  return out;
}

export function readString(b: Buffer | undefined): string | undefined {
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return b.subarray(0, nul >= 0 ? nul : b.length).toString('utf8');
}

export function readU32(b: Buffer | undefined): number | undefined {
  return b && b.length >= 4 ? b.readUInt32LE(0) : undefined;
}
