// The pure parts of networking: address arithmetic, leases, port specs, nft rule text, the
// listing parser that finds rules by comment, and the files a container gets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allocate, readLeases, release } from '../../../src/net/ipam.js';
import { broadcastOf, gatewayOf, intToIp, ipToInt, overlaps, parseSubnet, routeSubnet } from '../../../src/net/ip.js';
import { baseTableScript, parseEcho, parseListing, parsePortSpec, portRules, portsClash } from '../../../src/net/ports.js';
import { renderHosts, renderResolvConf } from '../../../src/net/files.js';
import { detachContainer, hostVethName, prepareContainer } from '../../../src/net/attach.js';
import type { Endpoint } from '../../../src/net/endpoints.js';

describe('IPv4 arithmetic', () => {
  it('parses subnets and refuses host bits and bad prefixes', () => {
    const s = parseSubnet('10.87.0.0/16');
    expect(intToIp(gatewayOf(s))).toBe('10.87.0.1');
    expect(intToIp(broadcastOf(s))).toBe('10.87.255.255');
    expect(() => parseSubnet('10.87.0.1/16')).toThrow(/did you mean 10.87.0.0\/16/);
    expect(() => parseSubnet('10.87.0.0/31')).toThrow(/prefix/);
    expect(() => ipToInt('10.256.0.1')).toThrow(/IPv4/);
    expect(overlaps(parseSubnet('10.88.0.0/16'), parseSubnet('10.88.5.0/24'))).toBe(true);
    expect(overlaps(parseSubnet('10.88.0.0/24'), parseSubnet('10.88.1.0/24'))).toBe(false);
  });

  it('takes a host route of any length as a subnet a new network must not shadow (a DHCP /32 route)', () => {
    const host = routeSubnet('192.168.121.1', 32);
    expect(host).toEqual({ base: ipToInt('192.168.121.1'), prefix: 32 });
    expect(overlaps(host, parseSubnet('192.168.121.0/24'))).toBe(true);
    expect(overlaps(host, parseSubnet('192.168.122.0/24'))).toBe(false);
    expect(routeSubnet('10.1.2.3', 31)).toEqual({ base: ipToInt('10.1.2.2'), prefix: 31 });
  });
});

describe('IPAM leases', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tslabt-ipam-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('skips the network, gateway and broadcast addresses and never leases one address twice', () => {
    const subnet = '10.9.9.0/29'; // hosts .1-.6; .1 is the gateway, so .2-.6 are leasable
    const got = ['a', 'b', 'c', 'd', 'e'].map((id) => allocate(root, 'n', subnet, id));
    expect(got).toEqual(['10.9.9.2', '10.9.9.3', '10.9.9.4', '10.9.9.5', '10.9.9.6']);
    expect(() => allocate(root, 'n', subnet, 'f')).toThrow(/no free address/);
    expect(allocate(root, 'n', subnet, 'c')).toBe('10.9.9.4'); // the same container asks again
  });

  it('does not reuse a released address at once: it walks on and wraps', () => {
    const subnet = '10.9.9.0/29';
    allocate(root, 'n', subnet, 'a');
    allocate(root, 'n', subnet, 'b');
    expect(release(root, 'n', subnet, 'a')).toEqual(['10.9.9.2']);
    expect(allocate(root, 'n', subnet, 'c')).toBe('10.9.9.4');
    allocate(root, 'n', subnet, 'd');
    allocate(root, 'n', subnet, 'e');
    expect(allocate(root, 'n', subnet, 'f')).toBe('10.9.9.2'); // wrapped to the freed one
    expect(Object.values(readLeases(root, 'n', subnet).leases).map((l) => l.container).sort()).toEqual(['b', 'c', 'd', 'e', 'f']);
    expect(release(root, 'n', subnet, 'nobody')).toEqual([]);
  });
});

describe('published ports', () => {
  it('parses -p like docker', () => {
    expect(parsePortSpec('18080:80')).toEqual({ hostIp: '0.0.0.0', hostPort: 18080, containerPort: 80, protocol: 'tcp' });
    expect(parsePortSpec('127.0.0.1:5353:53/udp')).toEqual({ hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' });
    expect(() => parsePortSpec('80')).toThrow(/HOSTPORT:CONTAINERPORT/);
    expect(() => parsePortSpec('70000:80')).toThrow(/not a port/);
    expect(() => parsePortSpec('1.2.3:80:80')).toThrow();
    expect(() => parsePortSpec('8080:80/sctp')).toThrow();
  });

  it('finds clashes, where 0.0.0.0 overlaps every address', () => {
    const a = parsePortSpec('127.0.0.1:8080:80');
    expect(portsClash(a, parsePortSpec('8080:81'))).toBe(true);
    expect(portsClash(a, parsePortSpec('10.0.0.1:8080:80'))).toBe(false);
    expect(portsClash(a, parsePortSpec('127.0.0.1:8080:80/udp'))).toBe(false);
  });

  it('writes a DNAT rule and, for loopback, a masquerade rule, both commented with the container id', () => {
    const rules = portRules('tslab', 'c1', '10.87.0.5', parsePortSpec('127.0.0.1:18080:80'));
    expect(rules.map((r) => `${r.chain}: ${r.rule}`)).toEqual([
      'prerouting: fib daddr type local ip daddr 127.0.0.1 tcp dport 18080 dnat to 10.87.0.5:80 comment "tslab:c1"',
      'output: fib daddr type local ip daddr 127.0.0.1 tcp dport 18080 dnat to 10.87.0.5:80 comment "tslab:c1"',
      'postrouting: ip saddr 127.0.0.0/8 ip daddr 10.87.0.5 tcp dport 80 masquerade comment "tslab:c1"',
    ]);
    expect(portRules('tslab', 'c1', '10.87.0.5', parsePortSpec('192.0.2.2:18080:80'))).toHaveLength(2);
    expect(baseTableScript('tslab')).toContain('add chain ip tslab output { type nat hook output priority -100; policy accept; }');
    expect(parseEcho('add table ip tslab\nadd rule ip tslab output fib daddr type local tcp dport 1 dnat to 10.0.0.2:80 comment "tslab:c1" # handle 12\n# new generation 3 by process 7118 (nft)\n'))
      .toEqual([{ chain: 'output', handle: 12 }]);
  });

  it('reads rule handles and comments out of `nft -a list table`', () => {
    const listing = `table ip tslab { # handle 4
\tchain published { # handle 1
\t\tip daddr 127.0.0.1 tcp dport 18080 dnat to 10.87.0.5:80 comment "tslab:c1" # handle 7
\t}

\tchain prerouting { # handle 2
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tfib daddr type local jump published # handle 5
\t}

\tchain postrouting { # handle 3
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tip saddr 127.0.0.0/8 ip daddr 10.87.0.5 tcp dport 80 masquerade comment "tslab:c1" # handle 8
\t}
}`;
    expect(parseListing(listing)).toEqual([
      { chain: 'published', handle: 7, comment: 'tslab:c1' },
      { chain: 'prerouting', handle: 5 },
      { chain: 'postrouting', handle: 8, comment: 'tslab:c1' },
    ]);
  });
});

describe('container files', () => {
  const ep = (id: string, name: string, address: string): Endpoint => ({
    id, network: 'n', bridge: 'b', address, prefix: 24, gateway: '10.0.0.1', hostVeth: hostVethName(id), name,
    hostname: id.slice(0, 12), ports: [], state: 'attached', bootId: 'x', files: { hosts: '', hostname: '', resolvConf: '' },
  });

  it('lists the container itself and, on user-defined networks, its peers by name', () => {
    const web = ep('0123456789abcdef', 'web', '10.0.0.2');
    const db = ep('fedcba9876543210', 'db', '10.0.0.3');
    expect(renderHosts(web, [web, db])).toBe(
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.0.2\t0123456789ab web\n10.0.0.3\tdb fedcba987654\n');
  });

  it('keeps only nameservers a container can reach: never loopback; others on the host, or any when it forwards', () => {
    const host = '# comment\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nnameserver 198.51.100.1\nsearch example.test\noptions edns0\n';
    const closed = renderResolvConf(host, { forwarding: false, hostAddresses: new Set(['192.0.2.53']) });
    expect(closed.split('\n').filter((l) => l.startsWith('nameserver'))).toEqual(['nameserver 192.0.2.53']);
    expect(closed).toContain('left out, unreachable from the container (loopback, or the host does not forward): 127.0.0.53 198.51.100.1');
    expect(closed).toContain('search example.test');
    const open = renderResolvConf(host, { forwarding: true, hostAddresses: new Set() });
    expect(open.split('\n').filter((l) => l.startsWith('nameserver'))).toEqual(['nameserver 192.0.2.53', 'nameserver 198.51.100.1']);
  });

  it('refuses ids that could escape the state folder or break an nft comment', () => {
    expect(() => detachContainer('../../etc')).toThrow(/not a usable container id/);
    expect(() => prepareContainer({ id: 'a"b' })).toThrow(/not a usable container id/);
  });

  it('names host veths within 15 bytes, tslabt… for test containers', () => {
    expect(hostVethName('3f2a9c')).toMatch(/^tslab-[0-9a-f]{8}$/);
    expect(hostVethName('tslabt-x')).toMatch(/^tslabt[0-9a-f]{9}$/);
    expect(hostVethName('a'.repeat(64)).length).toBeLessThanOrEqual(15);
  });
});
