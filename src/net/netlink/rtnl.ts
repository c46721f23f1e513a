// The link, address and route operations tslab needs, each one rtnetlink request on a socket, with
// replies decoded into LinkInfo/AddrInfo/RouteInfo.
import { decodeAddr, decodeLink, decodeRoute, type AddrInfo, type LinkInfo, type RouteInfo } from './message.js';
import { NetlinkError, type NetlinkSocket } from './socket.js';
import * as rq from './requests.js';
import { RTM } from './constants.js';

export function getLink(nl: NetlinkSocket, ref: rq.LinkRef, expectErrno?: { errno: string; why: string }): LinkInfo {
  const replies = nl.request(rq.getLink(ref), (r) => {
    const link = r[0] ? decodeLink(r[0].payload) : undefined;
    return link ? `index ${link.index}${link.kind ? ` ${link.kind}` : ''} ${link.up ? 'up' : 'down'}` : 'no reply';
  }, expectErrno);
  const first = replies.find((m) => m.type === RTM.RTM_NEWLINK);
  if (!first) throw new NetlinkError(`RTM_GETLINK ${ref.name ?? ref.index}`, 'ENODEV');
  return decodeLink(first.payload);
}

/** The link, or undefined when it does not exist (ENODEV). */
export function findLink(nl: NetlinkSocket, name: string): LinkInfo | undefined {
  try {
    // asking whether it exists: "no such device" is one of the two normal answers
    return getLink(nl, { name }, { errno: 'ENODEV', why: `a lookup: there is no link ${name} (yet)` });
  } catch (err) {
    if (err instanceof NetlinkError && err.errno === 'ENODEV') return undefined;
    throw err;
  }
}

export function listLinks(nl: NetlinkSocket): LinkInfo[] {
  return nl.request(rq.dumpLinks()).filter((m) => m.type === RTM.RTM_NEWLINK).map((m) => decodeLink(m.payload));
}

export function createBridge(nl: NetlinkSocket, name: string): LinkInfo {
  nl.request(rq.newBridge(name));
  return getLink(nl, { name });
}

export function createVeth(nl: NetlinkSocket, spec: rq.VethSpec): void {
  nl.request(rq.newVeth(spec));
}

export function setLink(nl: NetlinkSocket, ref: rq.LinkRef, change: rq.LinkChange): void {
  nl.request(rq.setLink(ref, change));
}

/** expectErrno: a failure that is the normal outcome where it is called (ENODEV of a veth gone with its netns) */
export function deleteLink(nl: NetlinkSocket, ref: rq.LinkRef, expectErrno?: { errno: string; why: string }): void {
  nl.request(rq.deleteLink(ref), undefined, expectErrno);
}

export function addAddress(nl: NetlinkSocket, spec: rq.AddressSpec): void {
  nl.request(rq.newAddress(spec));
}

export function deleteAddress(nl: NetlinkSocket, spec: rq.AddressSpec): void {
  nl.request(rq.deleteAddress(spec));
}

export function listAddresses(nl: NetlinkSocket): AddrInfo[] {
  return nl.request(rq.dumpAddresses()).filter((m) => m.type === RTM.RTM_NEWADDR).map((m) => decodeAddr(m.payload));
}

export function addRoute(nl: NetlinkSocket, spec: rq.RouteSpec): void {
  nl.request(rq.newRoute(spec));
}

export function listRoutes(nl: NetlinkSocket): RouteInfo[] {
  return nl.request(rq.dumpRoutes()).filter((m) => m.type === RTM.RTM_NEWROUTE).map((m) => decodeRoute(m.payload));
}
