// Containers on a bridge, for real: stand-in containers (a process in its own netns) are attached
// with the API the container engine calls, then observed from the host (ip, nft) and from inside
// (nsenter + busybox). Every object is named tslabt… and removed in finally.
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  attachContainer, detachContainer, gcNetworks, listEndpoints, prepareContainer, createNetwork, removeNetwork,
  resetNetworking,
} from '../../../src/net/index.js';
import { readLeases } from '../../../src/net/ipam.js';
import { rtnl, withNetlink } from '../../../src/net/netlink/index.js';
import { isNetworkLockHeld } from '../../../src/net/lock.js';
import { memorySink, tracer } from '../../../src/tracer/tracer.js';
import {
  ip, ipJson, linkExists, nftTableText, nsenter, removeDataRoot, startFakeContainer, testNetworking, uniqueName, waitFor,
  type FakeContainer,
} from './helpers.js';

const isRoot = process.getuid?.() === 0;

async function withWorld<T>(fn: (w: ReturnType<typeof testNetworking>, containers: FakeContainer[]) => Promise<T>): Promise<T> {
  const w = testNetworking();
  const containers: FakeContainer[] = [];
  try {
    return await fn(w, containers);
  } finally {
    for (const ep of listEndpoints(w.settings.root)) detachContainer(ep.id, w.settings);
    for (const c of containers) await c.stop();
    resetNetworking(w.settings);
    removeDataRoot(w);
  }
}

describe.skipIf(!isRoot)('attaching containers to a bridge (needs root)', () => {
  it('gives two containers eth0, an address and a default route; they ping each other; detach removes it all', async () => {
    await withWorld(async (w, containers) => {
      const c1 = await startFakeContainer();
      const c2 = await startFakeContainer();
      const c3 = await startFakeContainer();
      containers.push(c1, c2, c3);
      const events = memorySink();
      // Stepping blocks at every begin event: none may come while this process holds the network lock,
      // or a student pausing a start would stall every other tslab process on the machine.
      const underLock: string[] = [];
      const removeSink = tracer.addSink((e) => {
        events.sink(e);
        if (e.phase === 'begin' && isNetworkLockHeld()) underLock.push(e.step);
      });
      let a1, a2;
      try {
        a1 = attachContainer({ id: uniqueName('tslabt-a-'), pid: c1.pid }, w.settings);
        a2 = attachContainer({ id: uniqueName('tslabt-b-'), pid: c2.pid }, w.settings);
        const withPort = attachContainer({ id: uniqueName('tslabt-x-'), pid: c3.pid, ports: [`127.0.0.1:${20000 + Math.floor(Math.random() * 20000)}:80`] }, w.settings);
        detachContainer(withPort.id, w.settings);
      } finally {
        removeSink();
      }
      expect(underLock).toEqual([]);
      expect(a1.address).toBe(`${w.subnetPrefix}.2`);
      expect(a2.address).toBe(`${w.subnetPrefix}.3`);
      expect(a1.gateway).toBe(`${w.subnetPrefix}.1`);

      // Inside: lo and eth0 up, the address, the default route through the bridge.
      const addrs = JSON.parse(nsenter(c1.pid, ['ip', '-j', 'addr', 'show']).out) as Array<{ ifname: string; flags: string[]; addr_info: Array<{ family: string; local: string }> }>;
      expect(addrs.map((a) => a.ifname).sort()).toEqual(['eth0', 'lo']);
      expect(addrs.every((a) => a.flags.includes('UP'))).toBe(true);
      expect(addrs.find((a) => a.ifname === 'eth0')!.addr_info.find((i) => i.family === 'inet')!.local).toBe(a1.address);
      expect(nsenter(c1.pid, ['ip', 'route', 'show', 'default']).out).toContain(`default via ${a1.gateway} dev eth0`);

      // Outside: the host end of each pair is up and enslaved to the bridge.
      const host = ipJson<Array<{ ifname: string; master?: string; flags: string[] }>>(['link', 'show', 'dev', a1.hostVeth])[0]!;
      expect(host.master).toBe(w.settings.bridge);
      expect(host.flags).toContain('UP');

      // The two containers reach each other across the bridge, and the host (gateway).
      expect(nsenter(c1.pid, ['busybox', 'ping', '-c', '1', '-W', '3', a2.address]).code).toBe(0);
      expect(nsenter(c2.pid, ['busybox', 'ping', '-c', '1', '-W', '3', a1.gateway]).code).toBe(0);

      // Every netlink message was a traced step with its meaning.
      const netlink = events.events.filter((e) => e.kind === 'netlink' && e.phase === 'end').map((e) => e.summary);
      expect(netlink).toContain(`RTM_NEWLINK bridge ${w.settings.bridge}`);
      expect(netlink.some((s) => s.startsWith(`RTM_NEWLINK veth ${a1.hostVeth} peer eth0 in netns fd`))).toBe(true);
      expect(netlink).toContain(`RTM_NEWADDR ${a1.address}/24 dev eth0`);
      expect(netlink).toContain(`RTM_NEWROUTE default via ${a1.gateway} dev eth0`);
      expect(events.events.some((e) => e.step === 'setns' && e.phase === 'end' && !e.errno)).toBe(true);

      // Files for the container.
      expect(readFileSync(a1.files.hosts, 'utf8')).toMatch(new RegExp(`^${a1.address.replace(/\./g, '\\.')}\\t`, 'm'));
      expect(a1.mounts.map((m) => m.destination)).toEqual(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']);

      const r = detachContainer(a1.id, w.settings);
      expect(r).toMatchObject({ found: true, vethDeleted: true, addressesReleased: [a1.address] });
      expect(linkExists(a1.hostVeth)).toBe(false);
      expect(nsenter(c1.pid, ['ip', 'link', 'show', 'eth0']).code).not.toBe(0); // the peer went with it
      expect(existsSync(a1.files.hosts)).toBe(false);
      expect(Object.keys(readLeases(w.settings.root, 'bridge', w.settings.subnet).leases)).toEqual([a2.address]);
      expect(detachContainer(a1.id, w.settings).found).toBe(false); // twice is fine
    });
  });

  it('publishes ports on 127.0.0.1 and on every address, and takes them away on detach', async () => {
    await withWorld(async (w, containers) => {
      const c = await startFakeContainer();
      containers.push(c);
      const www = mkdtempSync('/tmp/tslabt-www-');
      writeFileSync(`${www}/index.html`, 'hello from the container\n');
      const httpd = spawn('nsenter', ['-t', String(c.pid), '-n', '--', 'busybox', 'httpd', '-f', '-p', '80', '-h', www], { stdio: 'ignore' });
      try {
        const port1 = 20000 + Math.floor(Math.random() * 20000);
        const port2 = port1 + 1;
        const events = memorySink();
        const removeSink = tracer.addSink(events.sink);
        let a;
        try {
          a = attachContainer({ id: uniqueName('tslabt-p-'), pid: c.pid, ports: [`127.0.0.1:${port1}:80`, `${port2}:80/tcp`] }, w.settings);
        } finally {
          removeSink();
        }
        // Every rule is its own traced event, then one nft transaction applies them all.
        const rules = events.events.filter((e) => e.step === 'nft.rule' && e.phase === 'end').map((e) => e.summary);
        expect(rules.filter((r) => r.includes(`dnat to ${a.address}:80`))).toHaveLength(4); // prerouting + output, two ports
        expect(rules.filter((r) => r.includes('masquerade'))).toHaveLength(2);
        expect(events.events.filter((e) => e.step === 'nft' && e.phase === 'end' && !e.errno)).toHaveLength(1);
        expect(a.ports).toEqual([
          { hostIp: '127.0.0.1', hostPort: port1, containerPort: 80, protocol: 'tcp' },
          { hostIp: '0.0.0.0', hostPort: port2, containerPort: 80, protocol: 'tcp' },
        ]);
        const get = async (port: number): Promise<string | undefined> => {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
            return await res.text();
          } catch {
            return undefined;
          }
        };
        let body: string | undefined;
        const deadline = Date.now() + 10_000;
        while (!(body = await get(port1)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(body).toBe('hello from the container\n');
        expect(await get(port2)).toBe('hello from the container\n');
        expect(nftTableText(w.settings.nftTable)).toContain(`comment "tslab:${a.id}"`);

        detachContainer(a.id, w.settings);
        expect(nftTableText(w.settings.nftTable)).not.toContain('tslab:');
        expect(await get(port1)).toBeUndefined();
      } finally {
        httpd.kill('SIGKILL');
        rmSync(www, { recursive: true, force: true });
      }
    });
  });

  it('gc removes what a kill -9ed container left: endpoint, lease, rules, and orphaned veths on our bridge (not on another data root\'s)', async () => {
    await withWorld(async (w, containers) => {
      const c = await startFakeContainer();
      containers.push(c);
      const keep = await startFakeContainer();
      containers.push(keep);
      const port = 20000 + Math.floor(Math.random() * 20000);
      const dead = attachContainer({ id: uniqueName('tslabt-d-'), pid: c.pid, ports: [`127.0.0.1:${port}:80`] }, w.settings);
      const alive = attachContainer({ id: uniqueName('tslabt-k-'), pid: keep.pid }, w.settings);
      await c.stop(); // SIGKILL: no detach ran
      await waitFor('the kernel to delete the dead container\'s veth pair', () => !linkExists(dead.hostVeth));
      // An orphan: a veth on our bridge that no endpoint owns.
      const orphan = uniqueName();
      withNetlink((nl) => {
        const br = rtnl.getLink(nl, { name: w.settings.bridge });
        rtnl.createVeth(nl, { name: orphan, peerName: uniqueName(), master: br.index });
      });
      // Another data root whose network names the same bridge: the bridge is not its own (its
      // alias names w's state folder), so its gc leaves every veth on it alone, the orphan too.
      const other = testNetworking();
      try {
        const theirs = gcNetworks({}, { ...other.settings, bridge: w.settings.bridge });
        expect(theirs.links).toEqual([]);
        expect(linkExists(orphan)).toBe(true);
        expect(linkExists(alive.hostVeth)).toBe(true);
      } finally {
        resetNetworking(other.settings);
        removeDataRoot(other);
      }
      // no container record for either (as for a lab's `network connect`): the live one stays all the same
      const r = gcNetworks({ liveContainers: new Set() }, w.settings);
      expect(r.endpoints).toEqual([dead.id]);
      expect(r.links).toEqual([orphan]);
      expect(linkExists(orphan)).toBe(false);
      expect(nftTableText(w.settings.nftTable)).not.toContain(dead.id);
      expect(Object.keys(readLeases(w.settings.root, 'bridge', w.settings.subnet).leases)).toEqual([alive.address]);
      expect(listEndpoints(w.settings.root).map((e) => e.id)).toEqual([alive.id]);
      expect(linkExists(alive.hostVeth)).toBe(true);
    });
  });

  it('a host route of /32 (as DHCP leaves to its DNS server) is a subnet a new network must not shadow', async () => {
    await withWorld(async (w) => {
      const [link, peer] = [uniqueName(), uniqueName()];
      const pool = w.settings.userSubnetPool.replace(/\.0\/24$/, '');
      // a veth pair as the route's device: every kernel with container networking has veth
      ip(['link', 'add', link, 'type', 'veth', 'peer', 'name', peer]);
      try {
        ip(['link', 'set', link, 'up']);
        ip(['route', 'add', `${pool}.7/32`, 'dev', link]);
        // the pool holds one /24 and the route sits in it: nothing is free, and the error says so
        expect(() => createNetwork({ name: uniqueName() }, w.settings)).toThrow(/no free \/24 left/);
      } finally {
        ip(['link', 'del', link]);
      }
    });
  });

  it('a user-defined network resolves container names through /etc/hosts; rm refuses while in use', async () => {
    await withWorld(async (w, containers) => {
      const name = uniqueName();
      const net = createNetwork({ name, subnet: `10.214.${w.subnetPrefix.split('.')[2]}.0/24` }, w.settings);
      expect(linkExists(net.bridge)).toBe(true);
      expect(net.bridge.startsWith('tslabt')).toBe(true);
      const idA = uniqueName('tslabt-web-');
      const idB = uniqueName('tslabt-db-');
      const pa = prepareContainer({ id: idA, network: name, name: 'web' }, w.settings);
      const pb = prepareContainer({ id: idB, network: name, name: 'db' }, w.settings);
      // Stand-ins that see their hosts file at /etc/hosts, as the runtime's bind mount would make them.
      const start = async (hosts: string): Promise<FakeContainer> => {
        const child = spawn('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sh', '-c',
          `mount --bind ${hosts} /etc/hosts && exec sleep infinity`], { stdio: 'ignore' });
        const fc: FakeContainer = {
          pid: child.pid!, child,
          stop: async () => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            const exited = new Promise<void>((r) => child.once('exit', () => r()));
            child.kill('SIGKILL');
            await exited;
          },
        };
        containers.push(fc);
        await waitFor('the stand-in to mount its hosts file', () => {
          try {
            return readFileSync(`/proc/${fc.pid}/comm`, 'utf8').trim() === 'sleep';
          } catch {
            return false;
          }
        });
        return fc;
      };
      const ca = await start(pa.files.hosts);
      const cb = await start(pb.files.hosts);
      expect(() => attachContainer({ id: idA, pid: ca.pid, network: 'bridge' }, w.settings)).toThrow(/already on network/);
      const a = attachContainer({ id: idA, pid: ca.pid }, w.settings); // the prepared network holds
      const b = attachContainer({ id: idB, pid: cb.pid, network: name }, w.settings);
      expect(a.address).toBe(pa.address);
      expect(nsenter(ca.pid, ['getent', '-s', 'files', 'hosts', 'db'], ['-m']).out).toContain(b.address);
      expect(nsenter(cb.pid, ['getent', '-s', 'files', 'hosts', 'web'], ['-m']).out).toContain(a.address);
      expect(nsenter(ca.pid, ['busybox', 'ping', '-c', '1', '-W', '3', 'db'], ['-m']).code).toBe(0);
      expect(() => removeNetwork(name, w.settings)).toThrow(/still has containers/);
      detachContainer(idB, w.settings);
      expect(nsenter(ca.pid, ['getent', '-s', 'files', 'hosts', 'db'], ['-m']).code).not.toBe(0); // the name left with it
      detachContainer(idA, w.settings);
      removeNetwork(name, w.settings);
      expect(linkExists(net.bridge)).toBe(false);
    });
  });

  it('undoes a half-made attachment when a step fails (fault injection on the address)', async () => {
    await withWorld(async (w, containers) => {
      const c = await startFakeContainer();
      containers.push(c);
      const id = uniqueName('tslabt-f-');
      tracer.setFaults('netlink.RTM_NEWROUTE:1:ENETUNREACH');
      try {
        expect(() => attachContainer({ id, pid: c.pid, ports: ['127.0.0.1:1:80'] }, w.settings)).toThrow(/ENETUNREACH/);
      } finally {
        tracer.setFaults(undefined);
      }
      expect(listEndpoints(w.settings.root)).toEqual([]);
      expect(Object.keys(readLeases(w.settings.root, 'bridge', w.settings.subnet).leases)).toEqual([]);
      const links = ipJson<Array<{ ifname: string; master?: string }>>(['link', 'show']);
      expect(links.filter((l) => l.master === w.settings.bridge)).toEqual([]);
      expect(nsenter(c.pid, ['ip', 'link', 'show', 'eth0']).code).not.toBe(0);
    });
  });

  it('refuses a host port that a host process listens on, or that another container publishes', async () => {
    await withWorld(async (w, containers) => {
      const c = await startFakeContainer();
      containers.push(c);
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      try {
        const busy = (server.address() as AddressInfo).port;
        expect(() => attachContainer({ id: uniqueName('tslabt-q-'), pid: c.pid, ports: [`${busy}:80`] }, w.settings))
          .toThrow(/in use by a process on this host/);
        const free = busy === 65535 ? busy - 1 : busy + 1;
        const first = attachContainer({ id: uniqueName('tslabt-q-'), pid: c.pid, ports: [`127.0.0.1:${free}:80`] }, w.settings);
        expect(() => prepareContainer({ id: uniqueName('tslabt-q-'), ports: [`${free}:81`] }, w.settings))
          .toThrow(new RegExp(`already published by container ${first.id}`));
        expect(listEndpoints(w.settings.root).map((e) => e.id)).toEqual([first.id]);
      } finally {
        await new Promise((r) => server.close(r));
      }
    });
  });

  it('refuses a bridge that another data root leases addresses on', async () => {
    await withWorld(async (w, containers) => {
      const c = await startFakeContainer();
      containers.push(c);
      attachContainer({ id: uniqueName('tslabt-o-'), pid: c.pid }, w.settings);
      const alias = ipJson<Array<{ ifalias?: string }>>(['link', 'show', 'dev', w.settings.bridge])[0]!.ifalias;
      expect(alias).toBe(`tslab ${w.settings.root}`);
      const other = testNetworking();
      try {
        const sharing = { ...other.settings, bridge: w.settings.bridge, subnet: w.settings.subnet };
        expect(() => attachContainer({ id: uniqueName('tslabt-o-'), pid: c.pid }, sharing)).toThrow(/belongs to the tslab state in/);
        expect(listEndpoints(other.settings.root)).toEqual([]);
      } finally {
        removeDataRoot(other);
      }
    });
  });

  it('refuses a process that shares the host\'s network namespace, and leaves nothing behind', async () => {
    await withWorld(async (w) => {
      const id = uniqueName('tslabt-h-');
      expect(() => attachContainer({ id, pid: process.pid }, w.settings)).toThrow(/own network namespace/);
      expect(listEndpoints(w.settings.root)).toEqual([]);
      expect(ipJson<Array<{ ifname: string; master?: string }>>(['link', 'show']).filter((l) => l.master === w.settings.bridge)).toEqual([]);
    });
  });
});
