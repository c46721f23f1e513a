// Network definitions: the default network "bridge" (from settings, like docker's bip) and
// user-defined ones in <root>/networks/<name>.json, each a Linux bridge with its own subnet.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatSubnet, gatewayOf, intToIp, overlaps, parseSubnet, type Subnet } from './ip.js';
import { readJson, removeFile, writeJson } from './state.js';
import { checkLinkName, DEFAULT_NETWORK, type NetworkSettings } from './settings.js';

export interface NetworkDef {
  name: string;
  /** the Linux bridge device */
  bridge: string;
  subnet: string;
  prefix: number;
  /** the bridge's address, the containers' default route */
  gateway: string;
  /** user-defined networks resolve container names in /etc/hosts; the default one does not (like docker) */
  userDefined: boolean;
  created?: string;
}

function networkPath(root: string, name: string): string {
  return join(root, 'networks', `${name}.json`);
}

function define(name: string, bridge: string, subnet: Subnet, userDefined: boolean): NetworkDef {
  return {
    name, bridge, subnet: formatSubnet(subnet), prefix: subnet.prefix, gateway: intToIp(gatewayOf(subnet)), userDefined,
  };
}

export function defaultNetwork(settings: NetworkSettings): NetworkDef {
  return define(DEFAULT_NETWORK, settings.bridge, parseSubnet(settings.subnet), false);
}

export function findNetwork(settings: NetworkSettings, name: string): NetworkDef | undefined {
  if (name === DEFAULT_NETWORK) return defaultNetwork(settings);
  return readJson<NetworkDef>(networkPath(settings.root, name));
}

export function getNetwork(settings: NetworkSettings, name: string): NetworkDef {
  const net = findNetwork(settings, name);
  if (!net) throw new Error(`no network named "${name}": see \`tslab network ls\`, or create it with \`tslab network create ${name}\``);
  return net;
}

export function listNetworks(settings: NetworkSettings): NetworkDef[] {
  let files: string[] = [];
  try {
    files = readdirSync(join(settings.root, 'networks')).filter((f) => f.endsWith('.json'));
  } catch {
    // no user-defined networks yet
  }
  const user = files.map((f) => readJson<NetworkDef>(join(settings.root, 'networks', f))).filter((n): n is NetworkDef => !!n);
  return [defaultNetwork(settings), ...user.sort((a, b) => a.name.localeCompare(b.name))];
}

/** Names made for tests (tslabt…) give their bridge the same prefix, so leftover checks see it. */
function defaultBridgeName(name: string): string {
  const hash = createHash('sha256').update(name).digest('hex');
  return name.startsWith('tslabt') ? `tslabt${hash.slice(0, 9)}` : `tslabbr${hash.slice(0, 8)}`;
}

export interface CreateNetworkOptions {
  name: string;
  subnet?: string;
  bridge?: string;
  /** subnets in use on the host (routes), so a new network never shadows one */
  hostSubnets?: Subnet[];
}

/** Records a new network (the caller holds the lock and creates the bridge). */
export function defineNetwork(settings: NetworkSettings, opts: CreateNetworkOptions): NetworkDef {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(opts.name)) {
    throw new Error(`"${opts.name}" is not a valid network name (letters, digits, _ . -; start with a letter or digit)`);
  }
  if (opts.name === DEFAULT_NETWORK || opts.name === 'host' || opts.name === 'none') {
    throw new Error(`"${opts.name}" is a built-in network mode; pick another name`);
  }
  const existing = listNetworks(settings);
  if (existing.some((n) => n.name === opts.name)) throw new Error(`a network named "${opts.name}" already exists`);
  const bridge = opts.bridge ?? defaultBridgeName(opts.name);
  checkLinkName(bridge, 'bridge');
  if (existing.some((n) => n.bridge === bridge)) throw new Error(`bridge ${bridge} already belongs to another network`);
  const taken = [...existing.map((n) => parseSubnet(n.subnet)), ...(opts.hostSubnets ?? [])];
  let subnet: Subnet;
  if (opts.subnet) {
    subnet = parseSubnet(opts.subnet);
    const clash = existing.find((n) => overlaps(parseSubnet(n.subnet), subnet));
    if (clash) throw new Error(`subnet ${opts.subnet} overlaps network ${clash.name} (${clash.subnet})`);
    const hostClash = (opts.hostSubnets ?? []).find((h) => overlaps(h, subnet));
    if (hostClash) throw new Error(`subnet ${opts.subnet} overlaps a route of this host (${formatSubnet(hostClash)})`);
  } else {
    subnet = pickSubnet(parseSubnet(settings.userSubnetPool), taken);
  }
  const net: NetworkDef = { ...define(opts.name, bridge, subnet, true), created: new Date().toISOString() };
  writeJson(networkPath(settings.root, opts.name), net);
  return net;
}

function pickSubnet(pool: Subnet, taken: Subnet[]): Subnet {
  const count = 2 ** Math.max(0, 24 - pool.prefix);
  for (let i = 0; i < count; i++) {
    const candidate: Subnet = { base: (pool.base + i * 256) >>> 0, prefix: 24 };
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  throw new Error(`no free /24 left in ${formatSubnet(pool)}: pass --subnet`);
}

export function forgetNetwork(settings: NetworkSettings, name: string): void {
  removeFile(networkPath(settings.root, name));
}
