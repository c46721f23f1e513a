// The bridge of a network, in the runtime's own (the host's) network namespace: created on first
// use with the gateway address, brought up, and allowed to carry 127.0.0.0/8 sources
// (route_localnet) so that ports published on 127.0.0.1 can be DNATed to containers.
import { existsSync } from 'node:fs';
import { writeKernelFile } from '../runtime/sys/index.js';
import { NetlinkError, rtnl, withNetlink, type NetlinkSocket } from './netlink/index.js';
import type { NetworkDef } from './networks.js';

/** The alias tslab gives its bridges: which state folder leases their addresses. */
export function ownerAlias(root: string): string {
  return `tslab ${root}`;
}

/**
 * The bridge's index, creating it if needed. `root` is the state folder that leases its addresses:
 * two folders sharing one bridge would lease the same addresses twice, so a bridge marked with
 * another folder is refused.
 */
export function ensureBridgeWith(nl: NetlinkSocket, net: NetworkDef, root: string): number {
  const existing = rtnl.findLink(nl, net.bridge);
  if (existing) {
    if (existing.kind !== 'bridge') throw new Error(`link ${net.bridge} exists but is a ${existing.kind ?? 'plain'} link, not a bridge`);
    // A mark whose state folder is gone (a removed TSLAB_DATA_ROOT) leases nothing any more: adopt the bridge.
    const stale = existing.alias?.startsWith('tslab ') && existing.alias !== ownerAlias(root) && !existsSync(existing.alias.slice(6));
    if (stale) rtnl.setLink(nl, { index: existing.index, name: net.bridge }, { up: true, alias: ownerAlias(root) });
    else if (existing.alias?.startsWith('tslab ') && existing.alias !== ownerAlias(root)) {
      throw new Error(`bridge ${net.bridge} belongs to the tslab state in ${existing.alias.slice(6)}, not ${root}: ` +
        'give this data root its own bridge and subnet (network/config.json), or the two would lease the same addresses');
    }
    if (!existing.up) rtnl.setLink(nl, { index: existing.index, name: net.bridge }, { up: true });
    return existing.index;
  }
  let br;
  try {
    br = rtnl.createBridge(nl, net.bridge);
  } catch (err) {
    // Another tslab process created it between our look and our create: use theirs.
    if (err instanceof NetlinkError && err.errno === 'EEXIST') return rtnl.getLink(nl, { name: net.bridge }).index;
    throw err;
  }
  rtnl.addAddress(nl, { index: br.index, linkName: net.bridge, address: net.gateway, prefix: net.prefix });
  rtnl.setLink(nl, { index: br.index, name: net.bridge }, { up: true, alias: ownerAlias(root) });
  const sysctl = `/proc/sys/net/ipv4/conf/${net.bridge}/route_localnet`;
  if (existsSync(sysctl)) {
    writeKernelFile(sysctl, '1\n', 'sysctl.route_localnet',
      `sysctl net.ipv4.conf.${net.bridge}.route_localnet=1 (let DNATed 127.0.0.1 traffic leave through the bridge)`);
  }
  return br.index;
}

export function ensureBridge(net: NetworkDef, root: string): number {
  return withNetlink((nl) => ensureBridgeWith(nl, net, root));
}

/** Deletes the bridge if it exists; its address and routes go with it. */
export function deleteBridge(net: NetworkDef): boolean {
  return withNetlink((nl) => {
    const link = rtnl.findLink(nl, net.bridge);
    if (!link) return false;
    rtnl.deleteLink(nl, { index: link.index, name: net.bridge });
    return true;
  });
}
