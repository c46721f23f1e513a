// One state folder per bridge (docs/networking.md), with one exception: a bridge whose marking
// state folder no longer exists (a removed TSLAB_DATA_ROOT) leases nothing any more, so the next
// data root adopts it instead of refusing. A live owner is still refused.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBridge, deleteBridge } from '../../../src/net/bridge.js';
import { defaultNetwork } from '../../../src/net/networks.js';
import { loadSettings, type NetworkSettings } from '../../../src/net/settings.js';
import { renderHosts } from '../../../src/net/files.js';
import type { Endpoint } from '../../../src/net/endpoints.js';
import { ip, uniqueName } from './helpers.js';

const isRoot = process.getuid?.() === 0;

function worldWithBridge(bridge: string): { dir: string; settings: NetworkSettings } {
  const dir = mkdtempSync('/tmp/tslabt-adopt-');
  mkdirSync(join(dir, 'network'), { recursive: true });
  writeFileSync(join(dir, 'network', 'config.json'), JSON.stringify({ bridge, subnet: '10.215.1.0/24', nftTable: uniqueName() }));
  writeFileSync(join(dir, 'config.json'), '{}');
  return { dir, settings: loadSettings({ ...process.env, TSLAB_DATA_ROOT: dir, TSLAB_CONFIG: join(dir, 'config.json') }) };
}

describe.skipIf(!isRoot)('bridge ownership (needs root)', () => {
  it('a bridge marked by a removed data root is adopted; one marked by a live data root is refused', () => {
    const bridge = uniqueName();
    const a = worldWithBridge(bridge);
    const b = worldWithBridge(bridge);
    const c = worldWithBridge(bridge);
    try {
      ensureBridge(defaultNetwork(a.settings), a.settings.root);
      expect(ip(['-d', 'link', 'show', bridge])).toContain(`alias tslab ${a.settings.root}`);
      expect(() => ensureBridge(defaultNetwork(b.settings), b.settings.root)).toThrow(/belongs to the tslab state in/);
      rmSync(a.dir, { recursive: true, force: true });
      ensureBridge(defaultNetwork(b.settings), b.settings.root);
      expect(ip(['-d', 'link', 'show', bridge])).toContain(`alias tslab ${b.settings.root}`);
      expect(() => ensureBridge(defaultNetwork(c.settings), c.settings.root)).toThrow(/belongs to the tslab state in/);
    } finally {
      deleteBridge(defaultNetwork(b.settings));
      for (const w of [a, b, c]) rmSync(w.dir, { recursive: true, force: true });
    }
  });
});

describe('hosts files with --network-alias', () => {
  it('lists a container\'s aliases for itself and for its peers', () => {
    const ep = (id: string, name: string, address: string, aliases?: string[]): Endpoint => ({
      id, network: 'n', bridge: 'b', address, prefix: 24, gateway: '10.0.0.1', hostVeth: 'v', name, hostname: id.slice(0, 12),
      ports: [], state: 'attached', bootId: '', files: { hosts: '', hostname: '', resolvConf: '' }, ...(aliases ? { aliases } : {}),
    });
    const db = ep('aaaaaaaaaaaaaaaa', 'db', '10.0.0.2', ['database', 'pg']);
    const web = ep('bbbbbbbbbbbbbbbb', 'web', '10.0.0.3');
    expect(renderHosts(db, [db, web])).toContain('10.0.0.2\taaaaaaaaaaaa db database pg\n');
    expect(renderHosts(web, [db, web])).toContain('10.0.0.2\tdb database pg aaaaaaaaaaaa\n');
    expect(renderHosts(web, [db, web])).toContain('10.0.0.3\tbbbbbbbbbbbb web\n');
  });
});
