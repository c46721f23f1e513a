// Published ports: `-p [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]`, done with nftables NAT.
//   prerouting/output (nat): traffic to a local address and the host port is DNATed to the container;
//   postrouting (nat): traffic that came from 127.0.0.0/8 is masqueraded to the bridge address,
//   because the container would otherwise answer to its own loopback. Together with
//   route_localnet=1 on the bridge this makes `curl 127.0.0.1:HOSTPORT` work without a proxy process.
// Every rule carries the comment "tslab:<container id>", which is how removal and gc find them.
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
  if (!m) return (() => { throw bad('not a port mapping'); })();
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

/** The base table: NAT chains hooked into prerouting, output and postrouting. */
export function baseTableScript(table: string): string[] {
  return [
    `add table ip ${table}`,
    `add chain ip ${table} published`,
    `add chain ip ${table} prerouting { type nat hook prerouting priority dstnat; policy accept; }`,
    `add chain ip ${table} output { type nat hook output priority -100; policy accept; }`,
    `add chain ip ${table} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `add rule ip ${table} prerouting fib daddr type local jump published`,
    `add rule ip ${table} output fib daddr type local jump published`,
  ];
}

export function portRules(table: string, id: string, address: string, p: PortMapping): NftRule[] {
  const comment = `comment "${commentFor(id)}"`;
  const daddr = p.hostIp === '0.0.0.0' ? '' : `ip daddr ${p.hostIp} `;
  const rules: NftRule[] = [{
    chain: 'published',
    rule: `${daddr}${p.protocol} dport ${p.hostPort} dnat to ${address}:${p.containerPort} ${comment}`,
    why: `${formatPort(p)}: send connections to host port ${p.hostPort} to ${address}:${p.containerPort}`,
  }];
  if (p.hostIp === '0.0.0.0' || p.hostIp.startsWith('127.')) {
    rules.push({
      chain: 'postrouting',
      rule: `ip saddr 127.0.0.0/8 ip daddr ${address} ${p.protocol} dport ${p.containerPort} masquerade ${comment}`,
      why: `${formatPort(p)}: rewrite a 127.0.0.1 source to the bridge address so the container can answer`,
    });
  }
  return rules.map((r) => ({ ...r, table }));
}

/** Installs the table if missing and the rules of one container's ports, in one nft transaction. */
export function publishPorts(table: string, id: string, address: string, ports: PortMapping[]): void {
  if (ports.length === 0) return;
  const hasTable = nftList(table) !== undefined;
  const script = hasTable ? [] : baseTableScript(table).map((line) => ({ line }));
  const rules = ports.flatMap((p) => portRules(table, id, address, p));
  nftApply(`publish ${ports.map(formatPort).join(', ')} for ${id}`, [...script, ...rules]);
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

/** Deletes every rule commented tslab:<id>; returns how many. */
export function unpublishPorts(table: string, id: string): number {
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
