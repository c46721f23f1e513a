// Netlink messages: struct nlmsghdr followed by a fixed family header (ifinfomsg, ifaddrmsg, rtmsg)
// and attributes. Encoders produce the exact bytes the kernel reads; decoders turn replies back into
// plain objects.
import { errnoName } from '../../runtime/sys/errno.js';
import { bufferToIp } from '../ip.js';
import { parseAttrs, readString, readU32 } from './attributes.js';
import {
  IFA, IFLA, IFLA_INFO, NLMSG, NLMSG_HDRLEN, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSGERR_ATTR_MSG, OPERSTATES, RTA,
} from './constants.js';

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** everything after the 16-byte nlmsghdr */
  payload: Buffer;
}

export function encodeMessage(type: number, flags: number, seq: number, payload: Buffer, pid = 0): Buffer {
  const header = Buffer.alloc(NLMSG_HDRLEN);
  header.writeUInt32LE(NLMSG_HDRLEN + payload.length, 0);
  header.writeUInt16LE(type, 4);
  header.writeUInt16LE(flags, 6);
  header.writeUInt32LE(seq >>> 0, 8);
  header.writeUInt32LE(pid >>> 0, 12);
  return Buffer.concat([header, payload]);
}

/** Splits a datagram from the kernel into its messages (one recv may carry several). */
export function parseMessages(buf: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) break;
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += (len + 3) & ~3;
  }
  return out;
}

// struct ifinfomsg { u8 family; u8 pad; u16 type; s32 index; u32 flags; u32 change; }
export interface IfInfoMsg {
  family?: number;
  type?: number;
  index?: number;
  flags?: number;
  change?: number;
}

export function encodeIfInfo(m: IfInfoMsg): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(m.family ?? 0, 0);
  b.writeUInt16LE(m.type ?? 0, 2);
  b.writeInt32LE(m.index ?? 0, 4);
  b.writeUInt32LE((m.flags ?? 0) >>> 0, 8);
  b.writeUInt32LE((m.change ?? 0) >>> 0, 12);
  return b;
}

// struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; }
export interface IfAddrMsg {
  family: number;
  prefixlen: number;
  flags?: number;
  scope?: number;
  index: number;
}

export function encodeIfAddr(m: IfAddrMsg): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(m.family, 0);
  b.writeUInt8(m.prefixlen, 1);
  b.writeUInt8(m.flags ?? 0, 2);
  b.writeUInt8(m.scope ?? 0, 3);
  b.writeUInt32LE(m.index, 4);
  return b;
}

// struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }
export interface RtMsg {
  family: number;
  dstLen: number;
  srcLen?: number;
  tos?: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags?: number;
}

export function encodeRtMsg(m: RtMsg): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(m.family, 0);
  b.writeUInt8(m.dstLen, 1);
  b.writeUInt8(m.srcLen ?? 0, 2);
  b.writeUInt8(m.tos ?? 0, 3);
  b.writeUInt8(m.table, 4);
  b.writeUInt8(m.protocol, 5);
  b.writeUInt8(m.scope, 6);
  b.writeUInt8(m.type, 7);
  b.writeUInt32LE(m.flags ?? 0, 8);
  return b;
}

/** A link as RTM_NEWLINK replies describe it. */
export interface LinkInfo {
  index: number;
  name: string;
  flags: number;
  up: boolean;
  mtu?: number;
  mac?: string;
  master?: number;
  kind?: string;
  operstate?: string;
  /** for a veth whose peer lives in another netns: that netns's id as this netns sees it */
  linkNetnsId?: number;
  /** IFLA_LINK: for a veth, the peer's index (in the peer's netns) */
  link?: number;
  /** IFLA_IFALIAS: free text (ip link set … alias); tslab marks its bridges with their owner */
  alias?: string;
}

export function decodeLink(payload: Buffer): LinkInfo {
  const index = payload.readInt32LE(4);
  const flags = payload.readUInt32LE(8);
  const attrs = parseAttrs(payload.subarray(16));
  const linkinfo = attrs.get(IFLA.IFLA_LINKINFO);
  const kind = linkinfo ? readString(parseAttrs(linkinfo).get(IFLA_INFO.IFLA_INFO_KIND)) : undefined;
  const macBuf = attrs.get(IFLA.IFLA_ADDRESS);
  const oper = attrs.get(IFLA.IFLA_OPERSTATE);
  const nsid = attrs.get(IFLA.IFLA_LINK_NETNSID);
  const info: LinkInfo = {
    index,
    name: readString(attrs.get(IFLA.IFLA_IFNAME)) ?? '',
    flags,
    up: (flags & 1) !== 0,
  };
  const mtu = readU32(attrs.get(IFLA.IFLA_MTU));
  if (mtu !== undefined) info.mtu = mtu;
  if (macBuf) info.mac = [...macBuf].map((x) => x.toString(16).padStart(2, '0')).join(':');
  const master = readU32(attrs.get(IFLA.IFLA_MASTER));
  if (master !== undefined) info.master = master;
  if (kind) info.kind = kind;
  if (oper) info.operstate = OPERSTATES[oper[0]!] ?? String(oper[0]);
  if (nsid && nsid.length >= 4) info.linkNetnsId = nsid.readInt32LE(0);
  const link = readU32(attrs.get(IFLA.IFLA_LINK));
  if (link !== undefined) info.link = link;
  const alias = readString(attrs.get(IFLA.IFLA_IFALIAS));
  if (alias) info.alias = alias;
  return info;
}

export interface AddrInfo {
  family: number;
  prefixlen: number;
  index: number;
  address?: string;
  local?: string;
  label?: string;
}

export function decodeAddr(payload: Buffer): AddrInfo {
  const attrs = parseAttrs(payload.subarray(8));
  const info: AddrInfo = { family: payload[0]!, prefixlen: payload[1]!, index: payload.readUInt32LE(4) };
  const ip = (b: Buffer | undefined): string | undefined => (b && b.length === 4 ? bufferToIp(b) : undefined);
  const address = ip(attrs.get(IFA.IFA_ADDRESS));
  const local = ip(attrs.get(IFA.IFA_LOCAL));
  const label = readString(attrs.get(IFA.IFA_LABEL));
  if (address) info.address = address;
  if (local) info.local = local;
  if (label) info.label = label;
  return info;
}

export interface RouteInfo {
  family: number;
  dstLen: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  dst?: string;
  gateway?: string;
  oif?: number;
}

export function decodeRoute(payload: Buffer): RouteInfo {
  const attrs = parseAttrs(payload.subarray(12));
  const tableAttr = readU32(attrs.get(RTA.RTA_TABLE));
  const info: RouteInfo = {
    family: payload[0]!, dstLen: payload[1]!, table: tableAttr ?? payload[4]!, protocol: payload[5]!,
    scope: payload[6]!, type: payload[7]!,
  };
  const dst = attrs.get(RTA.RTA_DST);
  const gw = attrs.get(RTA.RTA_GATEWAY);
  const oif = readU32(attrs.get(RTA.RTA_OIF));
  if (dst && dst.length === 4) info.dst = bufferToIp(dst);
  if (gw && gw.length === 4) info.gateway = bufferToIp(gw);
  if (oif !== undefined) info.oif = oif;
  return info;
}

/** NLMSG_ERROR: error 0 is an ACK; otherwise a negative errno, the request's header, maybe a message. */
export interface NetlinkAck {
  ok: boolean;
  errno?: string;
  errnoNumber?: number;
  /** the seq of the request this answers */
  seq: number;
  /** extended ACK text from the kernel (NLMSGERR_ATTR_MSG), when the socket asked for it */
  message?: string;
}

/** libuv lists ENOTSUP first for 95; the kernel (and every netlink man page) says EOPNOTSUPP. */
function kernelErrnoName(n: number): string {
  return n === 95 ? 'EOPNOTSUPP' : errnoName(n);
}

export function decodeError(msg: NetlinkMessage): NetlinkAck {
  if (msg.type !== NLMSG.NLMSG_ERROR) throw new Error(`not an NLMSG_ERROR message (type ${msg.type})`);
  const error = msg.payload.readInt32LE(0);
  const seq = msg.payload.length >= 20 ? msg.payload.readUInt32LE(4 + 8) : msg.seq;
  if (error === 0) return { ok: true, seq };
  const ack: NetlinkAck = { ok: false, errno: kernelErrnoName(-error), errnoNumber: -error, seq };
  if (msg.flags & NLM_F_ACK_TLVS) {
    // The TLVs follow the echoed request: just its header when capped, else the whole request.
    const echoedLen = msg.payload.length >= 20 ? msg.payload.readUInt32LE(4) : 0;
    const tlvStart = 4 + (msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : echoedLen);
    const text = readString(parseAttrs(msg.payload.subarray(tlvStart)).get(NLMSGERR_ATTR_MSG));
    if (text) ack.message = text;
  }
  return ack;
}
