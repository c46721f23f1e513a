// Garbage collection: endpoints of containers that died with the machine or with kill -9 never got
// a detachContainer. Their netns died with them (taking the veth pair along), but their lease,
// files and nft rules remain. This pass finds them and removes what is left; it also deletes
// orphaned host veths on our bridges and rules whose container tslab no longer knows.
import { statSync } from 'node:fs';
import { tracer } from '../tracer/tracer.js';
import { bootId, detachContainer } from './attach.js';
import { ownerAlias } from './bridge.js';
import { listEndpoints, type Endpoint } from './endpoints.js';
import { readLeases, release } from './ipam.js';
import { withNetworkLock } from './lock.js';
import { NetlinkError, rtnl, withNetlink } from './netlink/index.js';
import { listNetworks } from './networks.js';
import { publishedIds, unpublishPorts } from './ports.js';
import { loadSettings, type NetworkSettings } from './settings.js';

export interface GcOptions {
  /** ids of containers that still exist: prepared endpoints of others are collected too (attached ones live with their netns) */
  liveContainers?: Set<string>;
}

export interface GcResult {
  endpoints: string[];
  links: string[];
  rules: string[];
  leases: string[];
}

/** An attached endpoint is alive while its init's pid still has the same netns, in this boot. */
export function endpointAlive(ep: Endpoint, currentBoot = bootId()): boolean {
  if (ep.bootId !== currentBoot) return false;
  if (ep.state !== 'attached' || ep.pid === undefined) return true; // prepared: only the owner knows
  try {
    return statSync(`/proc/${ep.pid}/ns/net`).ino === ep.netnsInode;
  } catch {
    return false;
  }
}

export function gcNetworks(opts: GcOptions = {}, settings: NetworkSettings = loadSettings()): GcResult {
  return withNetworkLock(settings.root, () => {
    const result: GcResult = { endpoints: [], links: [], rules: [], leases: [] };
    const boot = bootId();
    for (const ep of listEndpoints(settings.root)) {
      // an attached endpoint lives as long as its init's netns, whoever made it (a lab's
      // `network connect` makes no container record); a prepared one only while its container exists
      const known = ep.state === 'attached' || !opts.liveContainers || opts.liveContainers.has(ep.id);
      if (endpointAlive(ep, boot) && known) continue;
      detachContainer(ep.id, settings);
      result.endpoints.push(ep.id);
    }
    const live = listEndpoints(settings.root);
    const liveIds = new Set(live.map((e) => e.id));
    const liveVeths = new Set(live.map((e) => e.hostVeth));
    const networks = listNetworks(settings);
    withNetlink((nl) => {
      const links = rtnl.listLinks(nl);
      // only bridges this state folder owns: another data root's bridge of the same name (tslab0)
      // carries veths whose endpoints this folder does not know, and they are not orphans
      const ours = ownerAlias(settings.root);
      const bridges = new Set(links.filter((l) => l.alias === ours && networks.some((n) => n.bridge === l.name)).map((l) => l.index));
      for (const link of links) {
        if (link.kind !== 'veth' || link.master === undefined || !bridges.has(link.master)) continue;
        if (!/^tslab/.test(link.name) || liveVeths.has(link.name)) continue;
        try {
          rtnl.deleteLink(nl, { index: link.index, name: link.name });
          result.links.push(link.name);
        } catch (err) {
          if (!(err instanceof NetlinkError && err.errno === 'ENODEV')) throw err;
        }
      }
    });
    for (const id of publishedIds(settings.nftTable)) {
      if (liveIds.has(id)) continue;
      unpublishPorts(settings.nftTable, id);
      result.rules.push(id);
    }
    for (const net of networks) {
      const file = readLeases(settings.root, net.name, net.subnet);
      for (const [ip, lease] of Object.entries(file.leases)) {
        if (liveIds.has(lease.container)) continue;
        release(settings.root, net.name, net.subnet, lease.container);
        result.leases.push(`${net.name}:${ip}`);
      }
    }
    tracer.point('info', 'network.gc', { ...result }, `network gc: ${result.endpoints.length} endpoints, ${result.links.length} links, ` +
      `${result.rules.length} rule sets, ${result.leases.length} leases removed`);
    return result;
  });
}
