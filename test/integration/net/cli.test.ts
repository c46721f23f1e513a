// `tslab network …` as a user drives it (bin/tslab, so build first), in a scratch data root.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTrace } from '../../../src/tracer/event.js';
import { listEndpoints, detachContainer, resetNetworking } from '../../../src/net/index.js';
import { linkExists, removeDataRoot, startFakeContainer, testNetworking, uniqueName, type FakeContainer } from './helpers.js';

const TSLAB = fileURLToPath(new URL('../../../bin/tslab', import.meta.url));
const isRoot = process.getuid?.() === 0;

function tslab(args: string[], env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(TSLAB, args, { env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!isRoot)('tslab network (needs root; drives bin/tslab)', () => {
  it('create, ls, inspect, connect with --trace, disconnect, rm; and one-line errors', async () => {
    const w = testNetworking();
    const containers: FakeContainer[] = [];
    const trace = `${w.dataRoot}/trace.jsonl`;
    try {
      const name = uniqueName();
      const third = w.subnetPrefix.split('.')[2];
      const created = tslab(['network', 'create', '--subnet', `10.214.${third}.0/24`, name], w.env);
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const bridge = created.stdout.split('\t')[1]!;
      expect(linkExists(bridge)).toBe(true);

      const ls = tslab(['network', 'ls'], w.env).stdout;
      expect(ls).toMatch(/^NAME\s+BRIDGE\s+SUBNET\s+GATEWAY\s+CONTAINERS$/m);
      expect(ls).toMatch(new RegExp(`^bridge\\s+${w.settings.bridge}\\s+${w.subnetPrefix.replace(/\./g, '\\.')}\\.0/24`, 'm'));
      expect(ls).toContain(`10.214.${third}.0/24`);

      const dup = tslab(['network', 'create', name], w.env);
      expect(dup.code).toBe(1);
      expect(dup.stderr).toBe(`tslab: a network named "${name}" already exists\n`);
      const clash = tslab(['network', 'create', '--subnet', `10.214.${third}.128/25`, uniqueName()], w.env);
      expect(clash.stderr).toMatch(/overlaps network/);
      expect(tslab(['network', 'create', '--subnet', '10.214.0.1/24', uniqueName()], w.env).stderr).toMatch(/host bits/);
      expect(tslab(['network', 'rm', 'bridge'], w.env).stderr).toMatch(/cannot be removed/);
      expect(tslab(['network', 'inspect', uniqueName()], w.env).stderr).toMatch(/no network named/);

      const c = await startFakeContainer();
      containers.push(c);
      const id = uniqueName('tslabt-cli-');
      const bad = tslab(['network', 'connect', name, id, '--pid', String(c.pid), '-p', '80'], w.env);
      expect(bad.stderr).toMatch(/HOSTPORT:CONTAINERPORT/);
      const conn = tslab(['--trace', trace, 'network', 'connect', name, id, '--pid', String(c.pid), '--name', 'web'], w.env);
      expect(conn.stderr).toBe('');
      expect(conn.stdout).toContain(`10.214.${third}.2/24`);
      const events = parseTrace(readFileSync(trace, 'utf8')).filter((e) => e.phase === 'end' && e.kind === 'netlink');
      expect(events.map((e) => e.step)).toEqual(expect.arrayContaining(['netlink.RTM_NEWLINK', 'netlink.RTM_NEWADDR', 'netlink.RTM_NEWROUTE']));
      expect(events.find((e) => e.summary.startsWith('RTM_NEWLINK veth'))!.summary).toMatch(/peer eth0 in netns fd \d+ \(\/proc\/\d+\/ns\/net\) master tslabt/);

      const inspect = JSON.parse(tslab(['network', 'inspect', name], w.env).stdout) as Array<{ containers: Array<{ id: string; name: string }> }>;
      expect(inspect[0]!.containers).toMatchObject([{ id, name: 'web' }]);
      expect(tslab(['network', 'rm', name], w.env).stderr).toMatch(/still has containers/);
      expect(tslab(['network', 'disconnect', id], w.env).code).toBe(0);
      expect(tslab(['network', 'rm', name], w.env).code).toBe(0);
      expect(linkExists(bridge)).toBe(false);
      expect(tslab(['network', 'gc'], w.env).stdout).toBe('endpoints: 0, links: 0, rule sets: 0, leases: 0\n');
    } finally {
      for (const ep of listEndpoints(w.settings.root)) detachContainer(ep.id, w.settings);
      for (const c of containers) await c.stop();
      resetNetworking(w.settings);
      rmSync(trace, { force: true });
      removeDataRoot(w);
    }
  });
});
