// /etc/hosts, /etc/hostname and /etc/resolv.conf for a container, kept under
// <root>/containers/<id>/ and bind-mounted by the runtime. On a user-defined network every
// container's hosts file lists its peers, so they reach each other by name; files are rewritten in
// place (same inode) because a bind mount pins the inode, not the path.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Endpoint } from './endpoints.js';

export function containerFilesDir(root: string, id: string): string {
  return join(root, 'containers', id);
}

export function filePaths(root: string, id: string): Endpoint['files'] {
  const dir = containerFilesDir(root, id);
  return { hosts: join(dir, 'hosts'), hostname: join(dir, 'hostname'), resolvConf: join(dir, 'resolv.conf') };
}

export function renderHosts(self: Endpoint, peers: Endpoint[]): string {
  const names = [...new Set([self.hostname, self.name, ...(self.aliases ?? [])].filter(Boolean))].join(' ');
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${self.address}\t${names}`,
  ];
  for (const p of peers) {
    if (p.id === self.id) continue;
    lines.push(`${p.address}\t${[...new Set([p.name, ...(p.aliases ?? []), p.hostname].filter(Boolean))].join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

export interface ResolverReach {
  /** net.ipv4.ip_forward is on: the host routes containers' packets to other machines */
  forwarding: boolean;
  /** the host's own IPv4 addresses: a nameserver there answers containers through the gateway */
  hostAddresses: Set<string>;
}

/**
 * The host's resolv.conf, keeping only nameservers a container can reach. Loopback ones
 * (127.0.0.53 and friends) answer only on the host's own loopback, as docker also knows. Others
 * need the host to forward, which tslab does not turn on: listing them would only send queries that
 * die at the gateway and make every unknown name wait for a timeout. Without a nameserver line the
 * resolver asks 127.0.0.1 inside the container, is refused at once, and /etc/hosts answers.
 */
export function renderResolvConf(hostResolvConf: string, reach: ResolverReach): string {
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const line of hostResolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) {
      const ns = m[1]!;
      const reachable = !ns.startsWith('127.') && ns !== '::1' && !ns.includes(':') && (reach.forwarding || reach.hostAddresses.has(ns));
      (reachable ? kept : dropped).push(line.trim());
      continue;
    }
    if (/^\s*(search|domain|options)\s/.test(line)) kept.push(line.trim());
  }
  const head = ['# written by tslab from the host\'s /etc/resolv.conf'];
  if (dropped.length > 0) {
    head.push(`# left out, unreachable from the container (loopback, or the host does not forward): ${dropped.map((d) => d.split(/\s+/)[1]).join(' ')}`);
  }
  return [...head, ...kept].join('\n') + '\n';
}

function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

function resolverReach(): ResolverReach {
  let forwarding = false;
  try {
    forwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1';
  } catch {
    // no procfs: assume not
  }
  const hostAddresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) hostAddresses.add(a.address);
  }
  return { forwarding, hostAddresses };
}

export function writeContainerFiles(ep: Endpoint, peers: Endpoint[]): void {
  mkdirSync(join(ep.files.hosts, '..'), { recursive: true });
  writeFileSync(ep.files.hosts, renderHosts(ep, peers));
  writeFileSync(ep.files.hostname, `${ep.hostname}\n`);
  writeFileSync(ep.files.resolvConf, renderResolvConf(hostResolvConf(), resolverReach()));
}

/** Rewrites the hosts file of every endpoint of a user-defined network (after one joined or left). */
export function refreshHosts(members: Endpoint[]): void {
  for (const ep of members) {
    try {
      writeFileSync(ep.files.hosts, renderHosts(ep, members));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

export function removeContainerFiles(root: string, id: string): void {
  rmSync(containerFilesDir(root, id), { recursive: true, force: true });
}
