// IPv4 addresses and subnets as numbers: enough arithmetic for an IPAM and for netlink payloads.

export interface Subnet {
  /** network address as an unsigned 32-bit number */
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Error(`"${ip}" is not an IPv4 address (expected four numbers 0-255, like 10.87.0.2)`);
  }
  return parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}

export function ipToBuffer(ip: string): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(ipToInt(ip), 0);
  return b;
}

export function bufferToIp(b: Buffer): string {
  return intToIp(b.readUInt32BE(0));
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function parseSubnet(cidr: string): Subnet {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  if (!m || Number(m[2]) > 30 || Number(m[2]) < 8) {
    throw new Error(`"${cidr}" is not a usable IPv4 subnet (expected CIDR like 10.87.0.0/16, prefix 8-30)`);
  }
  const prefix = Number(m[2]);
  const addr = ipToInt(m[1]!);
  const base = (addr & maskOf(prefix)) >>> 0;
  if (base !== addr) throw new Error(`"${cidr}" has host bits set: did you mean ${intToIp(base)}/${prefix}?`);
  return { base, prefix };
}

/**
 * A route's destination as a subnet, whatever its length: hosts carry /32 and /31 routes (a DHCP
 * server's classless routes to its DNS or metadata server), which no network may shadow either.
 */
export function routeSubnet(dst: string, dstLen: number): Subnet {
  return { base: (ipToInt(dst) & maskOf(dstLen)) >>> 0, prefix: dstLen };
}

export function formatSubnet(s: Subnet): string {
  return `${intToIp(s.base)}/${s.prefix}`;
}

export function contains(s: Subnet, ip: number): boolean {
  return ((ip & maskOf(s.prefix)) >>> 0) === s.base;
}

export function broadcastOf(s: Subnet): number {
  return (s.base | ~maskOf(s.prefix)) >>> 0;
}

/** The first host address, which tslab gives the bridge (the containers' gateway), like docker. */
export function gatewayOf(s: Subnet): number {
  return (s.base + 1) >>> 0;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & maskOf(p)) >>> 0) === ((b.base & maskOf(p)) >>> 0);
}
