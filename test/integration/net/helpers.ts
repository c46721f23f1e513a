// Test scaffolding for networking: throwaway network namespaces named tslabt…, observed with `ip`,
// and a deadline-based poll instead of sleeps.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';

export function uniqueName(prefix = 'tslabt'): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

export function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
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
