// The exact flow `tslab container run --network NAME` follows, with real OCI runtimes: prepare
// (lease + files, bind mounts into config.json) → runtime create → attachContainer(pid) → start.
// Two containers on a user-defined network then reach each other by name through the mounted
// /etc/hosts. Run against runc (the oracle) and against tslab's own runtime.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../../../src/oci/spec.js';
import { imageLowerDirs } from '../../../src/container/index.js';
import {
  attachContainer, createNetwork, detachContainer, listEndpoints, prepareContainer, removeNetwork, resetNetworking,
  type Attachment,
} from '../../../src/net/index.js';
import { linkExists, removeDataRoot, testNetworking, uniqueName } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const TSLAB_RUNTIME = fileURLToPath(new URL('../../../bin/tslab-runtime', import.meta.url));
const runtimes: Array<[string, string]> = [['runc', 'runc'], ['tslab-runtime', TSLAB_RUNTIME]];

function rt(runtime: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(runtime, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

describe.skipIf(!isRoot)('prepare → create → attach → start with a real runtime (needs root)', () => {
  it.each(runtimes)('%s: containers on a user-defined network reach each other by name', async (_label, runtime) => {
    const w = testNetworking();
    const scratch = mkdtempSync('/tmp/tslabt-flow-');
    const created: string[] = [];
    const netName = uniqueName();
    try {
      // A private copy of the busybox root (one layer): runc creates the bind-mount targets (/etc/hosts) in it.
      const rootfs = join(scratch, 'rootfs');
      const [layer] = await imageLowerDirs('busybox', () => {});
      cpSync(layer!, rootfs, { recursive: true, verbatimSymlinks: true });
      createNetwork({ name: netName, subnet: `10.214.${w.subnetPrefix.split('.')[2]}.0/24` }, w.settings);
      const start = (name: string): Attachment => {
        const id = uniqueName(`tslabt-${name}-`);
        const prepared = prepareContainer({ id, network: netName, name, hostname: name }, w.settings);
        const bundle = join(scratch, id);
        const spec = defaultSpec({ args: ['sleep', '1000000'], terminal: false });
        spec.root = { path: rootfs, readonly: true };
        spec.hostname = name;
        spec.linux!.cgroupsPath = `/${id}`;
        spec.mounts = [...spec.mounts!, ...prepared.mounts];
        mkdirSync(bundle);
        writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
        const pidFile = join(bundle, 'pid');
        // The container inherits create's stdio: give it none, or waiting for EOF would wait for the container.
        const c = spawnSync(runtime, ['create', '--bundle', bundle, '--pid-file', pidFile, id], { stdio: 'ignore', timeout: 30_000 });
        expect(c.status).toBe(0);
        created.push(id);
        const pid = Number(readFileSync(pidFile, 'utf8'));
        const a = attachContainer({ id, pid }, w.settings);
        expect(rt(runtime, ['start', id]).code).toBe(0);
        return a;
      };
      const web = start('web');
      const db = start('db');
      // nsenter into every namespace and the root of the init: the same view for both runtimes.
      const pids = new Map<string, number>();
      for (const a of [web, db]) pids.set(a.id, Number(readFileSync(join(scratch, a.id, 'pid'), 'utf8')));
      const exec = (a: Attachment, cmd: string[]): { code: number | null; out: string; err: string } =>
        rt('nsenter', ['-t', String(pids.get(a.id)), '-a', '--', ...cmd]);
      expect(exec(web, ['cat', '/etc/hostname']).out).toBe('web\n');
      expect(exec(web, ['cat', '/etc/hosts']).out).toContain(`${db.address}\tdb`);
      expect(exec(db, ['cat', '/etc/hosts']).out).toContain(`${web.address}\tweb`); // rewritten in place after db joined
      expect(exec(web, ['ip', '-o', '-4', 'addr', 'show', 'eth0']).out).toContain(`inet ${web.address}/24`);
      const ping = exec(web, ['ping', '-c', '1', '-W', '3', 'db']);
      expect(ping.out).toContain(`(${db.address})`);
      expect(ping.code).toBe(0);
      // No nameserver the container could not reach: an unknown name fails at once, sending nothing out.
      const t0 = Date.now();
      expect(exec(web, ['ping', '-c', '1', '-W', '1', 'tslabt-no-such-name']).code).not.toBe(0);
      expect(Date.now() - t0).toBeLessThan(3000);
      for (const id of created.splice(0)) {
        expect(rt(runtime, ['delete', '--force', id]).code).toBe(0);
        detachContainer(id, w.settings);
      }
      expect(linkExists(web.hostVeth)).toBe(false);
      removeNetwork(netName, w.settings);
    } finally {
      for (const id of created) {
        rt(runtime, ['delete', '--force', id]);
        detachContainer(id, w.settings);
      }
      for (const ep of listEndpoints(w.settings.root)) detachContainer(ep.id, w.settings);
      try {
        removeNetwork(netName, w.settings);
      } catch {
        // never created, or already removed
      }
      resetNetworking(w.settings);
      rmSync(scratch, { recursive: true, force: true });
      removeDataRoot(w);
    }
  });
});
