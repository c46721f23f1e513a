// /etc/hosts, /etc/hostname and /etc/resolv.conf for a container, kept under
// <root>/containers/<id>/ and bind-mounted by the runtime. On a user-defined network every
// container's hosts file lists its peers, so they reach each other by name; files are rewritten in
// place (same inode) because a bind mount pins the inode, not the path.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  const names = [...new Set([self.hostname, self.name].filter(Boolean))].join(' ');
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${self.address}\t${names}`,
  ];
  for (const p of peers) {
    if (p.id === self.id) continue;
    lines.push(`${p.address}\t${[...new Set([p.name, p.hostname].filter(Boolean))].join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The host's resolv.conf without loopback nameservers (127.0.0.53 and friends answer only on the
 * host's own loopback, which the container cannot reach), like docker does.
 */
export function renderResolvConf(hostResolvConf: string): string {
  const kept: string[] = ['# written by tslab from the host\'s /etc/resolv.conf (loopback nameservers removed)'];
  for (const line of hostResolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && (m[1]!.startsWith('127.') || m[1] === '::1')) continue;
    if (/^\s*(nameserver|search|domain|options)\s/.test(line)) kept.push(line.trim());
  }
  return kept.join('\n') + '\n';
}

function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

export function writeContainerFiles(ep: Endpoint, peers: Endpoint[]): void {
  mkdirSync(join(ep.files.hosts, '..'), { recursive: true });
  writeFileSync(ep.files.hosts, renderHosts(ep, peers));
  writeFileSync(ep.files.hostname, `${ep.hostname}\n`);
  writeFileSync(ep.files.resolvConf, renderResolvConf(hostResolvConf()));
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
