// A data root for `tslab container …` tests with a private network world: its own bridge, subnet
// and nft table, all named tslabt… (docs/networking.md: one state folder per bridge), so that the
// default `--network bridge` never touches the host's tslab0. `cleanup()` removes containers,
// networks, the bridge, the table, mounts and the folder.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { detachContainer, listEndpoints, listNetworks, loadSettings, removeNetwork, resetNetworking, type NetworkSettings } from '../../src/net/index.js';
import { tempDataRoot, tslab } from '../integration/image/registry.js';
import { uniqueName } from '../integration/net/helpers.js';

export interface ContainerWorld {
  dir: string;
  env: NodeJS.ProcessEnv;
  settings: NetworkSettings;
  /** the first three octets of the default network's /24, e.g. 10.213.140 */
  subnetPrefix: string;
  cleanup(): Promise<void>;
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
}

export function containerWorld(opts: { runtime?: string } = {}): ContainerWorld {
  const d = tempDataRoot();
  if (opts.runtime) writeFileSync(join(d.dir, 'config.json'), JSON.stringify({ runtime: opts.runtime }));
  const third = 100 + Math.floor(Math.random() * 150);
  const subnetPrefix = `10.213.${third}`;
  mkdirSync(join(d.dir, 'network'), { recursive: true });
  writeFileSync(join(d.dir, 'network', 'config.json'), JSON.stringify({
    bridge: uniqueName(), subnet: `${subnetPrefix}.0/24`, nftTable: uniqueName(), userSubnetPool: `10.214.${third}.0/24`,
  }));
  const settings = loadSettings(d.env);
  return {
    dir: d.dir, env: d.env, settings, subnetPrefix,
    cleanup: async () => {
      const ids = (await tslab(['container', 'ps', '-aq', '--no-trunc'], d.env)).stdout.trim().split('\n').filter(Boolean);
      if (ids.length) await tslab(['container', 'rm', '-f', ...ids], d.env);
      for (const ep of listEndpoints(settings.root)) detachContainer(ep.id, settings);
      for (const n of listNetworks(settings)) if (n.userDefined) removeNetwork(n.name, settings);
      resetNetworking(settings);
      for (const m of mountsUnder(d.dir)) execFileSync('umount', ['-l', m]);
      d.cleanup();
    },
  };
}

/** A TCP port nothing listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls until probe gives a value (not undefined), with a deadline instead of fixed sleeps. */
export async function poll<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, deadlineMs = 10_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
