// rtnetlink against the real kernel, inside throwaway network namespaces: every object the requests
// create is then observed with iproute2, an independent reader.
import { closeSync, openSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inNetns } from '../../../src/net/netns.js';
import { NetlinkError, rtnl, withNetlink } from '../../../src/net/netlink/index.js';
import { addNetns, delNetns, ipJson, uniqueName } from './helpers.js';

interface IpLink { ifname: string; ifindex: number; flags: string[]; master?: string; linkinfo?: { info_kind: string } }
interface IpAddr { ifname: string; addr_info: Array<{ family: string; local: string; prefixlen: number }> }
interface IpRoute { dst: string; gateway?: string; dev: string }

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('rtnetlink against the kernel (needs root: creates network namespaces)', () => {
  let nsA: string;
  let nsB: string;
  beforeEach(() => {
    nsA = uniqueName();
    nsB = uniqueName();
    addNetns(nsA);
    addNetns(nsB);
  });
  afterEach(() => {
    delNetns(nsA);
    delNetns(nsB);
  });

  it('creates a bridge and a veth pair, enslaves, addresses, routes, renames and moves a link', () => {
    const pathB = `/run/netns/${nsB}`;
    inNetns(`/run/netns/${nsA}`, () => withNetlink((nl) => {
      rtnl.setLink(nl, { name: 'lo' }, { up: true });
      const br = rtnl.createBridge(nl, 'tslabtbr');
      expect(br.kind).toBe('bridge');
      rtnl.setLink(nl, { index: br.index, name: 'tslabtbr' }, { up: true });
      rtnl.addAddress(nl, { index: br.index, address: '10.213.7.1', prefix: 24 });
      rtnl.createVeth(nl, { name: 'tslabtva', peerName: 'tslabtvb', master: br.index });
      rtnl.setLink(nl, { name: 'tslabtva' }, { up: true });
      const peer = rtnl.getLink(nl, { name: 'tslabtvb' });
      rtnl.setLink(nl, { index: peer.index }, { rename: 'eth7' });
      rtnl.addRoute(nl, { dst: { address: '10.214.0.0', prefix: 16 }, gateway: '10.213.7.9', oif: br.index });
      expect(() => rtnl.createBridge(nl, 'tslabtbr')).toThrow(/EEXIST/);
      // With NETLINK_EXT_ACK the kernel says why, not only the errno.
      expect(() => rtnl.createBridge(nl, 'tslabt-name-too-long-for-ifnamsiz')).toThrow(/failed: E[A-Z]+ \(kernel: [^)]+\)/);
      const links = rtnl.listLinks(nl);
      expect(links.map((l) => l.name).sort()).toEqual(['eth7', 'lo', 'tslabtbr', 'tslabtva']);
      expect(links.find((l) => l.name === 'tslabtva')!.master).toBe(br.index);
      expect(rtnl.listAddresses(nl).some((a) => a.local === '10.213.7.1' && a.prefixlen === 24)).toBe(true);
      expect(rtnl.listRoutes(nl).some((r) => r.dst === '10.214.0.0' && r.gateway === '10.213.7.9')).toBe(true);
    }));

    const links = ipJson<IpLink[]>(['-n', nsA, '-d', 'link', 'show']);
    const byName = new Map(links.map((l) => [l.ifname, l]));
    expect(byName.get('lo')!.flags).toContain('UP');
    expect(byName.get('tslabtbr')!.linkinfo!.info_kind).toBe('bridge');
    expect(byName.get('tslabtva')!.master).toBe('tslabtbr');
    expect(byName.get('tslabtva')!.flags).toContain('UP');
    expect(byName.get('eth7')!.linkinfo!.info_kind).toBe('veth');
    const addrs = ipJson<IpAddr[]>(['-n', nsA, 'addr', 'show', 'dev', 'tslabtbr']);
    expect(addrs[0]!.addr_info.find((a) => a.family === 'inet')).toMatchObject({ local: '10.213.7.1', prefixlen: 24 });
    const routes = ipJson<IpRoute[]>(['-n', nsA, 'route', 'show']);
    expect(routes.find((r) => r.dst === '10.214.0.0/16')).toMatchObject({ gateway: '10.213.7.9', dev: 'tslabtbr' });

    // Move the renamed peer into namespace B by an nsfs fd, then bring it up from inside B.
    inNetns(`/run/netns/${nsA}`, () => withNetlink((nl) => {
      const fd = openNs(pathB);
      try {
        rtnl.setLink(nl, { name: 'eth7' }, { netns: { fd, path: pathB } });
      } finally {
        closeNs(fd);
      }
      expect(rtnl.findLink(nl, 'eth7')).toBeUndefined();
    }));
    inNetns(pathB, () => withNetlink((nl) => {
      rtnl.setLink(nl, { name: 'eth7' }, { up: true });
      const eth = rtnl.getLink(nl, { name: 'eth7' });
      rtnl.addAddress(nl, { index: eth.index, address: '10.213.7.2', prefix: 24, linkName: 'eth7' });
      rtnl.addRoute(nl, { gateway: '10.213.7.1', oif: eth.index, oifName: 'eth7' });
      rtnl.setLink(nl, { name: 'eth7' }, { up: false });
    }));
    const inB = ipJson<IpLink[]>(['-n', nsB, 'link', 'show', 'eth7']);
    expect(inB[0]!.flags).not.toContain('UP');
    const defaultRoute = ipJson<IpRoute[]>(['-n', nsB, 'route', 'show', 'default']);
    expect(defaultRoute).toEqual([]); // the route went away when eth7 went down
    expect(ipJson<IpAddr[]>(['-n', nsB, 'addr', 'show', 'dev', 'eth7'])[0]!.addr_info.find((a) => a.family === 'inet'))
      .toMatchObject({ local: '10.213.7.2' });

    // Deleting one end of a veth deletes both, across namespaces.
    inNetns(`/run/netns/${nsA}`, () => withNetlink((nl) => {
      rtnl.deleteLink(nl, { name: 'tslabtva' });
      const err = (() => {
        try {
          rtnl.deleteLink(nl, { name: 'tslabtva' });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(NetlinkError);
      expect((err as NetlinkError).errno).toBe('ENODEV');
    }));
    expect(ipJson<IpLink[]>(['-n', nsB, 'link', 'show']).map((l) => l.ifname)).toEqual(['lo']);
  });

  it('creates the peer of a veth directly inside another namespace, by an nsfs fd', () => {
    const pathB = `/run/netns/${nsB}`;
    inNetns(`/run/netns/${nsA}`, () => withNetlink((nl) => {
      const fd = openNs(pathB);
      try {
        rtnl.createVeth(nl, { name: 'tslabthost', peerName: 'eth0', peerNetns: { fd, path: pathB } });
      } finally {
        closeNs(fd);
      }
    }));
    expect(ipJson<IpLink[]>(['-n', nsB, 'link', 'show']).map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
    expect(ipJson<IpLink[]>(['-n', nsA, 'link', 'show']).map((l) => l.ifname).sort()).toEqual(['lo', 'tslabthost']);
  });
});

function openNs(path: string): number {
  return openSync(path, 'r');
}
function closeNs(fd: number): void {
  closeSync(fd);
}
