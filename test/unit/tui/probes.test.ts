import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { readCgroupUsage, readNamespaces } from '../../../src/tui/probes.js';
import { waitFor } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).reverse().forEach((f) => f()));

describe('probes', () => {
  it('reads a live process\'s namespaces beside the host\'s; a new namespace is marked new', async () => {
    const same = readNamespaces(process.pid, new Set());
    expect(same.entries.map((e) => e.type)).toEqual(expect.arrayContaining(['mnt', 'pid', 'net', 'uts', 'ipc', 'user']));
    expect(same.entries.every((e) => !e.isNew && e.container === e.host)).toBe(true);
    // util-linux unshare makes a real child in a new UTS namespace (root only: the suite runs as root)
    if (process.getuid?.() !== 0) {
      console.warn('SKIP part: not root, cannot create a UTS namespace');
      return;
    }
    const child = spawn('unshare', ['--uts', 'sleep', '30'], { stdio: 'ignore' });
    cleanups.push(() => child.kill('SIGKILL'));
    // unshare(1) execs sleep in the same process once the namespace exists
    const view = await waitFor('the child to be in its own UTS namespace', () => {
      const v = readNamespaces(child.pid, new Set());
      return v.entries.find((e) => e.type === 'uts')?.isNew ? v : undefined;
    });
    expect(view.entries.find((e) => e.type === 'pid')!.isNew).toBe(false);
    expect(view.note).toContain(`init pid ${child.pid}`);
  });

  it('falls back to the trace (unshared flags) without a live pid', () => {
    const view = readNamespaces(undefined, new Set(['pid', 'mnt']));
    expect(view.entries.filter((e) => e.isNew).map((e) => e.type).sort()).toEqual(['mnt', 'pid']);
    expect(view.note).toContain('from the trace');
  });

  it('reads usage from the cgroup directories that were written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tslabt-cg-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'memory.current'), '1048576\n');
    writeFileSync(join(dir, 'pids.current'), '2\n');
    const usage = readCgroupUsage([{ path: join(dir, 'memory.max'), file: 'memory.max', value: '33554432', ok: true }]);
    expect(usage.items).toEqual([{ name: 'memory.current', value: '1.0 MiB' }, { name: 'pids.current', value: '2' }]);
    expect(readCgroupUsage([]).note).toMatch(/no cgroup/);
  });
});
