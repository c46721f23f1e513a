// Builders for the rtnetlink requests tslab sends. Each returns the bytes to send (minus the nlmsghdr,
// which the socket adds with its sequence number) and the decoded meaning for the trace.
import type { ArgValue } from '../../tracer/event.js';
import { ipToBuffer } from '../ip.js';
import { encodeAttrs, nestedAttr, rawStringAttr, stringAttr, u32Attr, bytesAttr, type Attr } from './attributes.js';
import {
  AF_INET, AF_UNSPEC, IFA, IFF, IFLA, IFLA_INFO, NLM_F, NLM_F_DUMP, RT_SCOPE, RT_TABLE_MAIN, RTA, RTM, RTN_UNICAST,
  RTPROT, VETH_INFO_PEER, messageTypeName,
} from './constants.js';
import { encodeIfAddr, encodeIfInfo, encodeRtMsg } from './message.js';

export interface NetlinkRequest {
  type: number;
  /** NLM_F_* flags besides NLM_F_REQUEST, which every request has */
  flags: number;
  payload: Buffer;
  /** one line for people: `RTM_NEWLINK veth tslab-3f2a peer eth0` */
  summary: string;
  args: Record<string, ArgValue>;
}

/** Which network namespace a link should move to: by a process in it, or by an open nsfs fd. */
export type NetnsRef = { pid: number } | { fd: number; path?: string };

/** A link is named either by its index or by its name (the kernel looks names up for us). */
export type LinkRef = { index: number; name?: string } | { name: string; index?: undefined };

const CREATE = NLM_F.NLM_F_CREATE | NLM_F.NLM_F_EXCL | NLM_F.NLM_F_ACK;

function netnsAttr(ns: NetnsRef): Attr {
  return 'pid' in ns ? u32Attr(IFLA.IFLA_NET_NS_PID, ns.pid) : u32Attr(IFLA.IFLA_NET_NS_FD, ns.fd);
}

function describeNetns(ns: NetnsRef): string {
  return 'pid' in ns ? `netns of pid ${ns.pid}` : `netns fd ${ns.fd}${ns.path ? ` (${ns.path})` : ''}`;
}

function linkSelector(ref: LinkRef): { index: number; attrs: Attr[]; shown: string } {
  if (ref.index !== undefined) return { index: ref.index, attrs: [], shown: ref.name ?? `index ${ref.index}` };
  return { index: 0, attrs: [stringAttr(IFLA.IFLA_IFNAME, ref.name)], shown: ref.name };
}

function request(type: number, flags: number, payload: Buffer, detail: string, args: Record<string, ArgValue>): NetlinkRequest {
  return { type, flags, payload, summary: `${messageTypeName(type)} ${detail}`, args };
}

export function newBridge(name: string): NetlinkRequest {
  const attrs: Attr[] = [
    stringAttr(IFLA.IFLA_IFNAME, name),
    nestedAttr(IFLA.IFLA_LINKINFO, [rawStringAttr(IFLA_INFO.IFLA_INFO_KIND, 'bridge')]),
  ];
  return request(RTM.RTM_NEWLINK, CREATE, Buffer.concat([encodeIfInfo({}), encodeAttrs(attrs)]),
    `bridge ${name}`, { kind: 'bridge', ifname: name });
}

export interface VethSpec {
  name: string;
  peerName: string;
  /** create the peer directly in this namespace (saves a move and a rename) */
  peerNetns?: NetnsRef;
  /** attach the host end to this bridge index at creation */
  master?: number;
  masterName?: string;
}

export function newVeth(spec: VethSpec): NetlinkRequest {
  // VETH_INFO_PEER's payload is a whole struct ifinfomsg followed by the peer's own attributes.
  const peerAttrs: Attr[] = [stringAttr(IFLA.IFLA_IFNAME, spec.peerName)];
  if (spec.peerNetns) peerAttrs.push(netnsAttr(spec.peerNetns));
  const peer: Attr = { type: VETH_INFO_PEER, value: Buffer.concat([encodeIfInfo({}), encodeAttrs(peerAttrs)]) };
  const attrs: Attr[] = [stringAttr(IFLA.IFLA_IFNAME, spec.name)];
  if (spec.master !== undefined) attrs.push(u32Attr(IFLA.IFLA_MASTER, spec.master));
  attrs.push(nestedAttr(IFLA.IFLA_LINKINFO, [
    rawStringAttr(IFLA_INFO.IFLA_INFO_KIND, 'veth'),
    nestedAttr(IFLA_INFO.IFLA_INFO_DATA, [peer]),
  ]));
  const where = spec.peerNetns ? ` in ${describeNetns(spec.peerNetns)}` : '';
  const master = spec.master !== undefined ? ` master ${spec.masterName ?? spec.master}` : '';
  const args: Record<string, ArgValue> = { kind: 'veth', ifname: spec.name, peer: spec.peerName };
  if (spec.peerNetns) args.peer_netns = describeNetns(spec.peerNetns);
  if (spec.master !== undefined) args.master = spec.masterName ?? spec.master;
  return request(RTM.RTM_NEWLINK, CREATE, Buffer.concat([encodeIfInfo({}), encodeAttrs(attrs)]),
    `veth ${spec.name} peer ${spec.peerName}${where}${master}`, args);
}

export interface LinkChange {
  up?: boolean;
  /** bridge index to enslave to; 0 releases the link from its bridge */
  master?: number;
  masterName?: string;
  netns?: NetnsRef;
  /** new name; needs the link named by index */
  rename?: string;
  mtu?: number;
  /** IFLA_IFALIAS, the text `ip link` shows as "alias" */
  alias?: string;
}

export function setLink(ref: LinkRef, change: LinkChange): NetlinkRequest {
  if (change.rename !== undefined && ref.index === undefined) {
    throw new Error('renaming a link needs its index (the name attribute carries the new name)');
  }
  const sel = linkSelector(ref);
  const attrs = [...sel.attrs];
  const words: string[] = [];
  const args: Record<string, ArgValue> = { link: sel.shown };
  if (change.rename !== undefined) {
    attrs.push(stringAttr(IFLA.IFLA_IFNAME, change.rename));
    words.push(`name ${change.rename}`);
    args.rename = change.rename;
  }
  if (change.alias !== undefined) {
    attrs.push(rawStringAttr(IFLA.IFLA_IFALIAS, change.alias));
    words.push(`alias "${change.alias}"`);
    args.alias = change.alias;
  }
  if (change.mtu !== undefined) {
    attrs.push(u32Attr(IFLA.IFLA_MTU, change.mtu));
    words.push(`mtu ${change.mtu}`);
    args.mtu = change.mtu;
  }
  if (change.master !== undefined) {
    attrs.push(u32Attr(IFLA.IFLA_MASTER, change.master));
    words.push(change.master === 0 ? 'nomaster' : `master ${change.masterName ?? change.master}`);
    args.master = change.masterName ?? change.master;
  }
  if (change.netns) {
    attrs.push(netnsAttr(change.netns));
    words.push(`to ${describeNetns(change.netns)}`);
    args.netns = describeNetns(change.netns);
  }
  let flags = 0;
  let changeMask = 0;
  if (change.up !== undefined) {
    changeMask = IFF.IFF_UP;
    flags = change.up ? IFF.IFF_UP : 0;
    words.push(change.up ? 'up' : 'down');
    args.state = change.up ? 'up' : 'down';
  }
  const payload = Buffer.concat([encodeIfInfo({ index: sel.index, flags, change: changeMask }), encodeAttrs(attrs)]);
  return request(RTM.RTM_SETLINK, NLM_F.NLM_F_ACK, payload, `${sel.shown} ${words.join(' ')}`.trim(), args);
}

export function deleteLink(ref: LinkRef): NetlinkRequest {
  const sel = linkSelector(ref);
  return request(RTM.RTM_DELLINK, NLM_F.NLM_F_ACK, Buffer.concat([encodeIfInfo({ index: sel.index }), encodeAttrs(sel.attrs)]),
    sel.shown, { link: sel.shown });
}

export function getLink(ref: LinkRef): NetlinkRequest {
  const sel = linkSelector(ref);
  return request(RTM.RTM_GETLINK, NLM_F.NLM_F_ACK, Buffer.concat([encodeIfInfo({ index: sel.index }), encodeAttrs(sel.attrs)]),
    sel.shown, { link: sel.shown });
}

export function dumpLinks(): NetlinkRequest {
  return request(RTM.RTM_GETLINK, NLM_F_DUMP, encodeIfInfo({ family: AF_UNSPEC }), 'dump (all links)', { dump: true });
}

export interface AddressSpec {
  index: number;
  linkName?: string;
  address: string;
  prefix: number;
}

function addressRequest(type: number, flags: number, a: AddressSpec): NetlinkRequest {
  const attrs = [bytesAttr(IFA.IFA_LOCAL, ipToBuffer(a.address)), bytesAttr(IFA.IFA_ADDRESS, ipToBuffer(a.address))];
  const payload = Buffer.concat([encodeIfAddr({ family: AF_INET, prefixlen: a.prefix, index: a.index }), encodeAttrs(attrs)]);
  const dev = a.linkName ?? `index ${a.index}`;
  return request(type, flags, payload, `${a.address}/${a.prefix} dev ${dev}`, { address: `${a.address}/${a.prefix}`, dev });
}

export function newAddress(a: AddressSpec): NetlinkRequest {
  return addressRequest(RTM.RTM_NEWADDR, CREATE, a);
}

export function deleteAddress(a: AddressSpec): NetlinkRequest {
  return addressRequest(RTM.RTM_DELADDR, NLM_F.NLM_F_ACK, a);
}

export function dumpAddresses(): NetlinkRequest {
  return request(RTM.RTM_GETADDR, NLM_F_DUMP, encodeIfAddr({ family: AF_INET, prefixlen: 0, index: 0 }),
    'dump (all IPv4 addresses)', { dump: true });
}

export interface RouteSpec {
  /** destination subnet; omit for the default route */
  dst?: { address: string; prefix: number };
  gateway?: string;
  oif: number;
  oifName?: string;
}

export function newRoute(r: RouteSpec): NetlinkRequest {
  const attrs: Attr[] = [];
  if (r.dst) attrs.push(bytesAttr(RTA.RTA_DST, ipToBuffer(r.dst.address)));
  if (r.gateway) attrs.push(bytesAttr(RTA.RTA_GATEWAY, ipToBuffer(r.gateway)));
  attrs.push(u32Attr(RTA.RTA_OIF, r.oif));
  const rt = encodeRtMsg({
    family: AF_INET, dstLen: r.dst?.prefix ?? 0, table: RT_TABLE_MAIN, protocol: RTPROT.RTPROT_BOOT,
    // a route through a gateway reaches beyond the link; a route without one is on-link
    scope: r.gateway ? RT_SCOPE.RT_SCOPE_UNIVERSE : RT_SCOPE.RT_SCOPE_LINK, type: RTN_UNICAST,
  });
  const dst = r.dst ? `${r.dst.address}/${r.dst.prefix}` : 'default';
  const dev = r.oifName ?? `index ${r.oif}`;
  const detail = `${dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${dev}`;
  const args: Record<string, ArgValue> = { dst, dev };
  if (r.gateway) args.gateway = r.gateway;
  return request(RTM.RTM_NEWROUTE, CREATE, Buffer.concat([rt, encodeAttrs(attrs)]), detail, args);
}

export function dumpRoutes(): NetlinkRequest {
  const rt = encodeRtMsg({ family: AF_INET, dstLen: 0, table: 0, protocol: 0, scope: 0, type: 0 });
  return request(RTM.RTM_GETROUTE, NLM_F_DUMP, rt, 'dump (IPv4 routes)', { dump: true });
}
