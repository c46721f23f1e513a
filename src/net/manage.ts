// `tslab network create|rm`: a user-defined network is a definition file plus its bridge, created at
// once (as docker does) so `ip link` shows it.
import { deleteBridge, ensureBridgeWith } from './bridge.js';
import { deleteTable } from './ports.js';
import { listEndpoints } from './endpoints.js';
import { routeSubnet, type Subnet } from './ip.js';
import { removeLeaseFile } from './ipam.js';
import { withNetworkLock } from './lock.js';
import { rtnl, withNetlink } from './netlink/index.js';
import { defineNetwork, forgetNetwork, getNetwork, listNetworks, type NetworkDef } from './networks.js';
import { DEFAULT_NETWORK, loadSettings } from './settings.js';

export interface CreateOptions {
  name: string;
  subnet?: string;
  bridge?: string;
}

export function createNetwork(opts: CreateOptions, settings = loadSettings()): NetworkDef {
  return withNetworkLock(settings.root, () => withNetlink((nl) => {
    // Subnets routed on this host (not via a gateway, not the default route): a new one must not shadow them.
    const hostSubnets: Subnet[] = rtnl.listRoutes(nl)
      .filter((r) => r.dst && r.dstLen >= 8 && r.table === 254)
      .map((r) => routeSubnet(r.dst!, r.dstLen));
    const net = defineNetwork(settings, { ...opts, hostSubnets });
    try {
      ensureBridgeWith(nl, net, settings.root);
    } catch (err) {
      forgetNetwork(settings, net.name);
      throw err;
    }
    return net;
  }));
}

export function removeNetwork(name: string, settings = loadSettings()): NetworkDef {
  return withNetworkLock(settings.root, () => {
    if (name === DEFAULT_NETWORK) throw new Error('the default network "bridge" cannot be removed');
    const net = getNetwork(settings, name);
    const users = listEndpoints(settings.root).filter((e) => e.network === name);
    if (users.length > 0) {
      throw new Error(`network ${name} still has containers: ${users.map((u) => u.id).join(', ')} (remove them first)`);
    }
    deleteBridge(net);
    removeLeaseFile(settings.root, name);
    forgetNetwork(settings, name);
    return net;
  });
}

/**
 * Deletes every bridge of every network and the nft table: the host as before tslab. Refuses while
 * containers are attached. Definitions of user-defined networks stay (their bridges come back on use).
 */
export function resetNetworking(settings = loadSettings()): string[] {
  return withNetworkLock(settings.root, () => {
    const users = listEndpoints(settings.root);
    if (users.length > 0) throw new Error(`containers are still attached: ${users.map((u) => u.id).join(', ')}`);
    const removed = listNetworks(settings).filter((n) => deleteBridge(n)).map((n) => n.bridge);
    deleteTable(settings.nftTable);
    return removed;
  });
}
