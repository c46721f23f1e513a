// `tslab container run --network …` as a user drives it: real containers on a private test bridge
// (each test its own data root, bridge, subnet and nft table, all tslabt…), pings between them,
// names on a user-defined network, a published port answering HTTP on 127.0.0.1, twenty
// containers started at once, and nothing left behind after rm or after a kill -9.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { listEndpoints } from '../../src/net/index.js';
import { readLeases } from '../../src/net/ipam.js';
import { TSLAB, tslab } from '../integration/image/registry.js';
import { ipJson, nftTableText, uniqueName } from '../integration/net/helpers.js';
import { containerWorld, freePort, poll, type ContainerWorld } from './container-helpers.js';

const isRoot = process.getuid?.() === 0;
const RUNTIMES: [string, string | undefined][] = [['tslab-runtime', undefined], ['runc', '/usr/sbin/runc']];
const worlds: ContainerWorld[] = [];
const scratch: string[] = [];

afterEach(async () => {
  for (const w of worlds.splice(0)) await w.cleanup();
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

function world(runtime?: string): ContainerWorld {
  const w = containerWorld(runtime ? { runtime } : {});
  worlds.push(w);
  return w;
}

interface Inspected {
  State: { Pid: number; Status: string };
  NetworkSettings: { IPAddress: string; Ports: Record<string, Array<{ HostIp: string; HostPort: string }>>; Networks: Record<string, { IPAddress: string }> };
}

async function inspect(w: ContainerWorld, name: string): Promise<Inspected> {
  const r = await tslab(['container', 'inspect', name], w.env);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Inspected[])[0]!;
}

async function ok(w: ContainerWorld, args: string[]): Promise<string> {
  const r = await tslab(args, w.env);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function vethsOn(bridge: string): string[] {
  return ipJson<Array<{ ifname: string; master?: string }>>(['link', 'show']).filter((l) => l.master === bridge).map((l) => l.ifname);
}

/** Nothing of the world's containers is left on the host or in the network state. */
function expectNoNetworkLeftovers(w: ContainerWorld): void {
  expect(vethsOn(w.settings.bridge)).toEqual([]);
  expect(listEndpoints(w.settings.root)).toEqual([]);
  expect(readLeases(w.settings.root, 'bridge', w.settings.subnet).leases).toEqual({});
  expect(nftTableText(w.settings.nftTable)).not.toContain('tslab:');
}

describe.skipIf(!isRoot)('container run --network (needs root; drives bin/tslab, so build first)', () => {
  describe.each(RUNTIMES)('on %s', (_label, runtime) => {
    it('two containers on the default bridge ping each other by address; rm leaves nothing', async () => {
      const w = world(runtime);
      const a = uniqueName('tslabt-a');
      const b = uniqueName('tslabt-b');
      await ok(w, ['container', 'run', '-d', '--name', a, 'busybox', 'sleep', '300']);
      await ok(w, ['container', 'run', '-d', '--name', b, 'busybox', 'sleep', '300']);
      const ia = await inspect(w, a);
      const ib = await inspect(w, b);
      expect(ia.NetworkSettings.IPAddress.startsWith(`${w.subnetPrefix}.`)).toBe(true);
      expect(ib.NetworkSettings.IPAddress.startsWith(`${w.subnetPrefix}.`)).toBe(true);
      expect(ia.NetworkSettings.IPAddress).not.toBe(ib.NetworkSettings.IPAddress);
      expect(Object.keys(ia.NetworkSettings.Networks)).toEqual(['bridge']);
      // eth0 carried the address before the command ran: the container saw it from its first instruction
      const seen = await ok(w, ['container', 'exec', a, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
      expect(seen).toContain(`inet ${ia.NetworkSettings.IPAddress}/24`);
      const ping = await tslab(['container', 'exec', a, 'ping', '-c', '1', '-W', '3', ib.NetworkSettings.IPAddress], w.env);
      expect(ping.code, ping.stdout + ping.stderr).toBe(0);
      expect(ping.stdout).toContain('1 packets received');
      const back = await tslab(['container', 'exec', b, 'ping', '-c', '1', '-W', '3', ia.NetworkSettings.IPAddress], w.env);
      expect(back.code, back.stdout + back.stderr).toBe(0);
      expect(vethsOn(w.settings.bridge)).toHaveLength(2);
      await ok(w, ['container', 'rm', '-f', a, b]);
      expectNoNetworkLeftovers(w);
    });
  });

  it('the network is up before the command runs, in the foreground too; none has only lo, host the host\'s links', async () => {
    const w = world();
    const fg = await tslab(['container', 'run', '--rm', 'busybox', 'sh', '-c', 'ip -o -4 addr show eth0; ip route'], w.env);
    expect(fg.code, fg.stderr).toBe(0);
    expect(fg.stdout).toMatch(new RegExp(`inet ${w.subnetPrefix.replace(/\./g, '\\.')}\\.\\d+/24`));
    expect(fg.stdout).toContain(`default via ${w.subnetPrefix}.1 dev eth0`);
    const exit = await tslab(['container', 'run', '--rm', 'busybox', 'sh', '-c', 'exit 5'], w.env);
    expect(exit.code).toBe(5);
    const none = await tslab(['container', 'run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ls /sys/class/net; ip -o link show lo'], w.env);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout.split('\n').filter((l) => /^\w+$/.test(l))).toEqual(['lo']);
    expect(none.stdout).toMatch(/lo: <LOOPBACK,UP/);
    const hostLinks = execFileSync('ls', ['/sys/class/net'], { encoding: 'utf8' }).trim().split('\n');
    const host = await tslab(['container', 'run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net'], w.env);
    expect(host.code, host.stderr).toBe(0);
    expect(host.stdout.trim().split('\n')).toEqual(expect.arrayContaining(hostLinks.filter((l) => !l.startsWith('tslabt'))));
    expectNoNetworkLeftovers(w);
  });

  it.each(RUNTIMES)('-t (%s): a createRuntime hook attaches the network before the program\'s first instruction', async (_label, runtime) => {
    const w = world(runtime);
    const cmd = `${process.execPath} ${TSLAB} container run -it --rm busybox sh -c 'ip -o -4 addr show eth0; test -t 1 && echo is-a-tty; exit 3'`;
    // script(1) gives the CLI a terminal; its stdin stays open until the container is done
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: w.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.end();
    expect(code, out).toBe(3);
    expect(out).toMatch(new RegExp(`inet ${w.subnetPrefix.replace(/\./g, '\\.')}\\.\\d+/24`));
    expect(out).toContain('is-a-tty');
    expectNoNetworkLeftovers(w);
  });

  it('on a user-defined network containers reach each other by name and by --network-alias', async () => {
    const w = world();
    const net = uniqueName();
    await ok(w, ['network', 'create', net]);
    const db = uniqueName('tslabt-db');
    await ok(w, ['container', 'run', '-d', '--name', db, '--network', net, '--network-alias', 'tslabt-database', 'busybox', 'sleep', '300']);
    const addr = (await inspect(w, db)).NetworkSettings.Networks[net]!.IPAddress;
    const byName = await tslab(['container', 'run', '--rm', '--network', net, 'busybox', 'sh', '-c',
      `ping -c 1 -W 3 ${db} && ping -c 1 -W 3 tslabt-database`], w.env);
    expect(byName.code, byName.stdout + byName.stderr).toBe(0);
    expect(byName.stdout).toContain(`PING ${db} (${addr})`);
    expect(byName.stdout).toContain(`PING tslabt-database (${addr})`);
    // the default bridge does not resolve names (as in docker), and aliases need a user-defined network
    const onDefault = await tslab(['container', 'run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '1', db], w.env);
    expect(onDefault.code).not.toBe(0);
    const badAlias = await tslab(['container', 'run', '--rm', '--network-alias', 'x1', 'busybox', 'true'], w.env);
    expect(badAlias.code).not.toBe(0);
    expect(badAlias.stderr).toMatch(/user-defined network/);
    const missing = await tslab(['container', 'run', '--rm', '--network', uniqueName(), 'busybox', 'true'], w.env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no such network/);
    await ok(w, ['container', 'rm', '-f', db]);
    await ok(w, ['network', 'rm', net]);
    expect(listEndpoints(w.settings.root)).toEqual([]);
  });

  it('busybox httpd with -p FREEPORT:80 answers an HTTP GET on 127.0.0.1; port and inspect show the mapping', async () => {
    const w = world();
    const www = mkdtempSync('/tmp/tslabt-www-');
    scratch.push(www);
    writeFileSync(join(www, 'index.html'), 'hello from tslabt httpd\n');
    const port = await freePort();
    const web = uniqueName('tslabt-web');
    await ok(w, ['container', 'run', '-d', '--name', web, '-p', `127.0.0.1:${port}:80`, '-v', `${www}:/www:ro`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
    const body = await poll('httpd to answer', async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
        return res.ok ? await res.text() : undefined;
      } catch {
        return undefined;
      }
    }, 15_000);
    expect(body).toBe('hello from tslabt httpd\n');
    expect(await ok(w, ['container', 'port', web])).toBe(`80/tcp -> 127.0.0.1:${port}\n`);
    expect(await ok(w, ['container', 'port', web, '80'])).toBe(`127.0.0.1:${port}\n`);
    expect((await inspect(w, web)).NetworkSettings.Ports).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    expect(await ok(w, ['container', 'ps'])).toContain(`127.0.0.1:${port}->80/tcp`);
    expect(nftTableText(w.settings.nftTable)).toContain(`dport ${port}`);
    // the same host port again is refused before anything is created
    const again = await tslab(['container', 'run', '--rm', '-p', `127.0.0.1:${port}:80`, 'busybox', 'true'], w.env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already published/);
    await ok(w, ['container', 'stop', '-t', '1', web]);
    expectNoNetworkLeftovers(w); // stop releases the network, as docker does
    await ok(w, ['container', 'rm', web]);
    expectNoNetworkLeftovers(w);
  });

  it('a port a host process listens on is refused with one clear line, and nothing is left', async () => {
    const w = world();
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (srv.address() as { port: number }).port;
      const r = await tslab(['container', 'run', '--rm', '-p', `127.0.0.1:${port}:80`, 'busybox', 'true'], w.env);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/in use by a process on this host/);
      expectNoNetworkLeftovers(w);
      expect((await ok(w, ['container', 'ps', '-aq']))).toBe(''); // --rm: not even a created container
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('a failed attach (fault injected into RTM_NEWROUTE) deletes the created container: no init, veth, lease or mount left', async () => {
    const w = world();
    for (const detach of [[], ['-d']]) {
      const marker = uniqueName('tslabt-marker-');
      const r = await tslab(['container', 'run', '--rm', ...detach, 'busybox', 'sh', '-c', `sleep 300; : ${marker}`],
        { ...w.env, TSLAB_FAULT: 'netlink.RTM_NEWROUTE:1:EPERM' });
      expect(r.code, detach.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(/cannot attach it to network bridge: .*EPERM/);
      expectNoNetworkLeftovers(w);
      expect((await ok(w, ['container', 'ps', '-aq']))).toBe('');
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(w.dir);
      // the runtime has no container left either (its state folder is empty)
      expect(execFileSync('sh', ['-c', `ls ${w.dir}/runtime/*/ 2>/dev/null || true`], { encoding: 'utf8' }).trim()).toBe('');
      expect(spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout).toBe(''); // the container's program never ran on
    }
  });

  it('twenty containers started at once get twenty distinct addresses; after rm nothing is left', { timeout: 240_000 }, async () => {
    const w = world();
    await ok(w, ['container', 'run', '--rm', 'busybox', 'true']); // the busybox image once, before the rush
    const base = await freePort();
    const names = Array.from({ length: 20 }, (_, i) => uniqueName(`tslabt-c${i}-`));
    const runs = await Promise.all(names.map((n, i) =>
      tslab(['container', 'run', '-d', '--name', n, '-p', `127.0.0.1:${base + 1 + i}:80`, 'busybox', 'sleep', '300'], w.env)));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const addresses = await Promise.all(names.map(async (n) => (await inspect(w, n)).NetworkSettings.IPAddress));
    expect(new Set(addresses).size).toBe(20);
    for (const a of addresses) expect(a.startsWith(`${w.subnetPrefix}.`)).toBe(true);
    expect(vethsOn(w.settings.bridge)).toHaveLength(20);
    expect(nftTableText(w.settings.nftTable).match(/comment "tslab:/g)).toHaveLength(60);
    const removed = await Promise.all(names.map((n) => tslab(['container', 'rm', '-f', n], w.env)));
    for (const r of removed) expect(r.code, r.stderr).toBe(0);
    expectNoNetworkLeftovers(w);
    expect((await ok(w, ['container', 'ps', '-aq']))).toBe('');
  });

  it('after kill -9 of the monitor and the init, the next container ps removes the veth, lease and rules', async () => {
    const w = world();
    const name = uniqueName('tslabt-k');
    const port = await freePort();
    await ok(w, ['container', 'run', '-d', '--name', name, '-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '300']);
    const rec = JSON.parse(execFileSync('sh', ['-c', `cat ${w.dir}/containers/*/container.json`], { encoding: 'utf8' })) as { state: { pid: number; monitorPid: number } };
    expect(vethsOn(w.settings.bridge)).toHaveLength(1);
    process.kill(rec.state.monitorPid, 'SIGKILL');
    process.kill(rec.state.pid, 'SIGKILL');
    await poll('the init to die', () => {
      try {
        process.kill(rec.state.pid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
    expect(listEndpoints(w.settings.root)).toHaveLength(1); // nobody released it
    await ok(w, ['container', 'ps', '-a']);
    expectNoNetworkLeftovers(w);
  });
});
