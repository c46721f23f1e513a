// Test scaffolding for networking: throwaway network namespaces named tslabt…, observed with `ip`,
// and a deadline-based poll instead of sleeps.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';

export function uniqueName(prefix = 'tslabt'): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

export function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function ipJson<T>(args: string[]): T {
  return JSON.parse(ip(['-j', ...args]) || '[]') as T;
}

export function addNetns(name: string): string {
  ip(['netns', 'add', name]);
  return `/run/netns/${name}`;
}

export function delNetns(name: string): void {
  try {
    ip(['netns', 'del', name]);
  } catch {
    // already gone
  }
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, deadlineMs = 10_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A stand-in for a container: a process in a new network namespace (util-linux unshare). */
export interface FakeContainer {
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startFakeContainer(): Promise<FakeContainer> {
  const child = spawn('unshare', ['--net', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
  const ownNs = readlinkSync('/proc/self/ns/net');
  const pid = child.pid!;
  // unshare execs sleep in place: the pid is the same once its netns differs from ours.
  await waitFor('the fake container to enter its own netns', () => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`) !== ownNs;
    } catch {
      return false;
    }
  });
  return {
    pid,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkSettings } from '../../../src/net/settings.js';
import { loadSettings } from '../../../src/net/settings.js';

/** A private network world for one test file: data root, bridge, subnet and nft table, all tslabt…. */
export interface TestNetworking {
  dataRoot: string;
  env: NodeJS.ProcessEnv;
  settings: NetworkSettings;
  subnetPrefix: string;
}

export function testNetworking(): TestNetworking {
  const dataRoot = mkdtempSync('/tmp/tslabt-net-');
  const third = 100 + Math.floor(Math.random() * 150);
  const subnetPrefix = `10.213.${third}`;
  mkdirSync(join(dataRoot, 'network'), { recursive: true });
  writeFileSync(join(dataRoot, 'network', 'config.json'), JSON.stringify({
    bridge: uniqueName(), subnet: `${subnetPrefix}.0/24`, nftTable: uniqueName(), userSubnetPool: `10.214.${third}.0/24`,
  }));
  const env = { ...process.env, TSLAB_DATA_ROOT: dataRoot };
  return { dataRoot, env, settings: loadSettings(env), subnetPrefix };
}

export function removeDataRoot(t: TestNetworking): void {
  rmSync(t.dataRoot, { recursive: true, force: true });
}

export function nsenter(pid: number, args: string[], extra: string[] = []): { code: number; out: string } {
  try {
    const out = execFileSync('nsenter', ['-t', String(pid), '-n', ...extra, '--', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out };
  } catch (err) {
    const e = err as { status?: number; stdout?: string };
    return { code: e.status ?? 1, out: e.stdout ?? '' };
  }
}

export function linkExists(name: string): boolean {
  try {
    ip(['link', 'show', 'dev', name]);
    return true;
  } catch {
    return false;
  }
}

export function nftTableText(table: string): string {
  try {
    return execFileSync('nft', ['list', 'table', 'ip', table], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}
