// Published ports: `-p [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]`, done with nftables NAT.
//   prerouting (nat): traffic arriving for a local address and the host port is DNATed to the container;
//   output (nat): the same for connections made by the host's own processes (curl 127.0.0.1:PORT);
//   postrouting (nat): traffic that came from 127.0.0.0/8 is masqueraded to the bridge address,
//   because the container would otherwise answer to its own loopback. Together with
//   route_localnet=1 on the bridge this makes `curl 127.0.0.1:HOSTPORT` work without a proxy process.
// Every rule carries the comment "tslab:<container id>", which is how removal and gc find them.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { nftApply, nftList, type NftRule } from './nft.js';

export interface PortMapping {
  /** '0.0.0.0' means every local address */
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

export function parsePortSpec(spec: string): PortMapping {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/.exec(spec.trim());
  const bad = (why: string): Error =>
    new Error(`-p ${spec}: ${why} (expected [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp], e.g. 127.0.0.1:18080:80/tcp)`);
  if (!m) throw bad('not a port mapping');
  const hostIp = m[1] ?? '0.0.0.0';
  if (isIP(hostIp) !== 4) throw bad(`${hostIp} is not an IPv4 address`);
  const hostPort = Number(m[2]);
  const containerPort = Number(m[3]);
  for (const p of [hostPort, containerPort]) if (p < 1 || p > 65535) throw bad(`${p} is not a port (1-65535)`);
  return { hostIp, hostPort, containerPort, protocol: (m[4] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

export function formatPort(p: PortMapping): string {
  return `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`;
}

export function commentFor(id: string): string {
  return `tslab:${id}`;
}

/** True when both mappings would take the same host port (0.0.0.0 overlaps every address). */
export function portsClash(a: PortMapping, b: PortMapping): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort &&
    (a.hostIp === b.hostIp || a.hostIp === '0.0.0.0' || b.hostIp === '0.0.0.0');
}

/**
 * True when a socket of this host listens on the port (TCP LISTEN / bound UDP). DNAT would silently
 * steal its local traffic, so publishing refuses instead, as docker's "port is already allocated".
 */
export function hostPortInUse(p: PortMapping): boolean {
  const files = p.protocol === 'tcp' ? ['/proc/net/tcp', '/proc/net/tcp6'] : ['/proc/net/udp', '/proc/net/udp6'];
  const wantState = p.protocol === 'tcp' ? '0A' : '07';
  const port = p.hostPort.toString(16).toUpperCase().padStart(4, '0');
  for (const file of files) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3 && f[1]!.endsWith(`:${port}`) && f[3] === wantState) return true;
    }
  }
  return false;
}

/**
 * The base table: three NAT base chains. `add` is idempotent for tables and chains, so this prelude
 * rides along with every publish in the same transaction, without first asking whether it exists.
 */
export function baseTableScript(table: string): string[] {
  return [
    `add table ip ${table}`,
    `add chain ip ${table} prerouting { type nat hook prerouting priority dstnat; policy accept; }`,
    `add chain ip ${table} output { type nat hook output priority -100; policy accept; }`,
    `add chain ip ${table} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
  ];
}

export function portRules(table: string, id: string, address: string, p: PortMapping): NftRule[] {
  const comment = `comment "${commentFor(id)}"`;
  const daddr = p.hostIp === '0.0.0.0' ? '' : ` ip daddr ${p.hostIp}`;
  const match = `fib daddr type local${daddr} ${p.protocol} dport ${p.hostPort}`;
  const dnat = `dnat to ${address}:${p.containerPort} ${comment}`;
  const rules: NftRule[] = [
    { chain: 'prerouting', rule: `${match} ${dnat}`,
      why: `${formatPort(p)}: connections from other machines and containers to host port ${p.hostPort} go to ${address}:${p.containerPort}` },
    { chain: 'output', rule: `${match} ${dnat}`,
      why: `${formatPort(p)}: connections from this host's own processes (curl 127.0.0.1:${p.hostPort}) too` },
  ];
  if (p.hostIp === '0.0.0.0' || p.hostIp.startsWith('127.')) {
    rules.push({
      chain: 'postrouting',
      rule: `ip saddr 127.0.0.0/8 ip daddr ${address} ${p.protocol} dport ${p.containerPort} masquerade ${comment}`,
      why: `${formatPort(p)}: rewrite a 127.0.0.1 source to the bridge address so the container can answer`,
    });
  }
  return rules.map((r) => ({ ...r, table }));
}

export interface RuleHandle {
  chain: string;
  handle: number;
}

/** Handles of the rules nft echoed back (`add rule ip T CHAIN … # handle N`). */
export function parseEcho(text: string): RuleHandle[] {
  const out: RuleHandle[] = [];
  for (const line of text.split('\n')) {
    const m = /^add rule ip \S+ (\S+) .*# handle (\d+)\s*$/.exec(line);
    if (m) out.push({ chain: m[1]!, handle: Number(m[2]) });
  }
  return out;
}

/** Installs the table if missing and one container's port rules, in one nft transaction. */
export function publishPorts(table: string, id: string, address: string, ports: PortMapping[]): RuleHandle[] {
  if (ports.length === 0) return [];
  const script = baseTableScript(table).map((line) => ({ line }));
  const rules = ports.flatMap((p) => portRules(table, id, address, p));
  return parseEcho(nftApply(`publish ${ports.map(formatPort).join(', ')} for ${id}`, [...script, ...rules], true));
}

interface ListedRule { chain: string; handle: number; comment?: string }

export function parseListing(listing: string): ListedRule[] {
  const out: ListedRule[] = [];
  let chain = '';
  for (const line of listing.split('\n')) {
    const c = /^\s*chain (\S+) \{/.exec(line);
    if (c) {
      chain = c[1]!;
      continue;
    }
    const h = /# handle (\d+)\s*$/.exec(line);
    if (!h || !chain || /^\s*(table|chain|type) /.test(line)) continue;
    const comment = /comment "([^"]*)"/.exec(line)?.[1];
    out.push({ chain, handle: Number(h[1]), ...(comment !== undefined ? { comment } : {}) });
  }
  return out;
}

/** Container ids that have rules in the table. */
export function publishedIds(table: string): string[] {
  const listing = nftList(table);
  if (!listing) return [];
  const ids = parseListing(listing).map((r) => r.comment).filter((c): c is string => !!c?.startsWith('tslab:'));
  return [...new Set(ids.map((c) => c.slice('tslab:'.length)))];
}

/**
 * Deletes every rule commented tslab:<id>; returns how many. With the handles recorded at publish
 * time that is one nft run; without them (or when they are stale) the table is listed first.
 */
export function unpublishPorts(table: string, id: string, handles: RuleHandle[] = []): number {
  if (handles.length > 0) {
    try {
      nftApply(`remove the published ports of ${id}`,
        handles.map((h) => ({ line: `delete rule ip ${table} ${h.chain} handle ${h.handle}`, why: `rule ${h.handle} of ${id}` })));
      return handles.length;
    } catch {
      // a handle was stale (the table was flushed or recreated): find the rules by their comment
    }
  }
  const listing = nftList(table);
  if (!listing) return 0;
  const mine = parseListing(listing).filter((r) => r.comment === commentFor(id));
  if (mine.length === 0) return 0;
  nftApply(`remove the published ports of ${id}`,
    mine.map((r) => ({ line: `delete rule ip ${table} ${r.chain} handle ${r.handle}`, why: `rule ${r.handle} of ${id}` })));
  return mine.length;
}

export function deleteTable(table: string): void {
  if (nftList(table) === undefined) return;
  nftApply(`delete table ip ${table}`, [{ line: `delete table ip ${table}` }]);
}
