// IP address management: one lease file per network, <root>/ipam/<network>.json. An address is
// leased to one container until released; allocation walks on from the last address handed out
// (wrapping), so a just-released address is not reused at once while peers may still cache its MAC.
// Callers hold the network lock (withNetworkLock), which makes allocate/release safe across processes.
import { join } from 'node:path';
import { broadcastOf, gatewayOf, intToIp, ipToInt, parseSubnet } from './ip.js';
import { readJson, removeFile, writeJson } from './state.js';

export interface Lease {
  container: string;
  since: string;
}

export interface LeaseFile {
  subnet: string;
  /** the last address handed out, where the next search starts */
  last?: string;
  leases: Record<string, Lease>;
}

export function leasePath(root: string, network: string): string {
  return join(root, 'ipam', `${network}.json`);
}

export function readLeases(root: string, network: string, subnet: string): LeaseFile {
  return readJson<LeaseFile>(leasePath(root, network)) ?? { subnet, leases: {} };
}

/** Leases a free address of the subnet to `container` (the same one again if it already has one). */
export function allocate(root: string, network: string, subnet: string, container: string): string {
  const file = readLeases(root, network, subnet);
  const existing = Object.entries(file.leases).find(([, l]) => l.container === container);
  if (existing) return existing[0];
  const s = parseSubnet(subnet);
  const first = gatewayOf(s) + 1; // .0 is the network, .1 the bridge
  const last = broadcastOf(s) - 1;
  const size = last - first + 1;
  const start = file.last ? ipToInt(file.last) + 1 : first;
  for (let i = 0; i < size; i++) {
    let candidate = start + i;
    if (candidate > last || candidate < first) candidate = first + ((candidate - first) % size + size) % size;
    const ip = intToIp(candidate);
    if (file.leases[ip]) continue;
    file.leases[ip] = { container, since: new Date().toISOString() };
    file.last = ip;
    writeJson(leasePath(root, network), file);
    return ip;
  }
  throw new Error(`network ${network} (${subnet}) has no free address left: remove containers or use a larger subnet`);
}

export function release(root: string, network: string, subnet: string, container: string): string[] {
  const file = readLeases(root, network, subnet);
  const freed = Object.entries(file.leases).filter(([, l]) => l.container === container).map(([ip]) => ip);
  if (freed.length === 0) return [];
  for (const ip of freed) delete file.leases[ip];
  writeJson(leasePath(root, network), file);
  return freed;
}

export function removeLeaseFile(root: string, network: string): void {
  removeFile(leasePath(root, network));
}
