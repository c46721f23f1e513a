// Twenty `tslab network connect` processes at once: the IPAM lock must hand out twenty distinct
// addresses, and twenty concurrent `disconnect`s must leave no veth, lease or rule behind.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listEndpoints, resetNetworking, detachContainer } from '../../../src/net/index.js';
import { readLeases } from '../../../src/net/ipam.js';
import { ipJson, nftTableText, removeDataRoot, startFakeContainer, testNetworking, uniqueName, type FakeContainer } from './helpers.js';

const TSLAB = fileURLToPath(new URL('../../../bin/tslab', import.meta.url));
const isRoot = process.getuid?.() === 0;

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSLAB, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!isRoot)('concurrent connects (needs root; drives bin/tslab, so build first)', () => {
  it('twenty containers started at once get twenty distinct addresses, and rm leaves nothing', async () => {
    const w = testNetworking();
    const containers: FakeContainer[] = [];
    try {
      for (let i = 0; i < 20; i++) containers.push(await startFakeContainer());
      const base = 20000 + Math.floor(Math.random() * 20000);
      const ids = containers.map(() => uniqueName('tslabt-c-'));
      const results = await Promise.all(containers.map((c, i) =>
        run(['network', 'connect', 'bridge', ids[i]!, '--pid', String(c.pid), '-p', `127.0.0.1:${base + i}:80`, '--format', 'json'], w.env)));
      for (const r of results) expect(r.stderr).toBe('');
      expect(results.map((r) => r.code)).toEqual(results.map(() => 0));
      const addresses = results.map((r) => (JSON.parse(r.stdout) as { address: string }).address);
      expect(new Set(addresses).size).toBe(20);
      for (const a of addresses) expect(a.startsWith(`${w.subnetPrefix}.`)).toBe(true);
      const onBridge = ipJson<Array<{ ifname: string; master?: string }>>(['link', 'show']).filter((l) => l.master === w.settings.bridge);
      expect(onBridge).toHaveLength(20);
      expect(nftTableText(w.settings.nftTable).match(/comment "tslab:/g)).toHaveLength(60);

      const removed = await Promise.all(ids.map((id) => run(['network', 'disconnect', id], w.env)));
      expect(removed.map((r) => r.code)).toEqual(removed.map(() => 0));
      expect(ipJson<Array<{ ifname: string; master?: string }>>(['link', 'show']).filter((l) => l.master === w.settings.bridge)).toEqual([]);
      expect(readLeases(w.settings.root, 'bridge', w.settings.subnet).leases).toEqual({});
      expect(listEndpoints(w.settings.root)).toEqual([]);
      expect(nftTableText(w.settings.nftTable)).not.toContain('tslab:');
    } finally {
      for (const ep of listEndpoints(w.settings.root)) detachContainer(ep.id, w.settings);
      for (const c of containers) await c.stop();
      resetNetworking(w.settings);
      removeDataRoot(w);
    }
  });
});
