// What tests may have left on the machine: mounts, cgroups, links, named netns and nft tables whose names say tslab
// made them for a test (every test names its objects with the `tslabt` prefix).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const TEST_PREFIX = 'tslabt';

function cgroupDirs(): string[] {
  const found: string[] = [];
  const roots = ['/sys/fs/cgroup'];
  const walk = (dir: string, depth: number): void => {
    if (depth > 4) return;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const p = join(dir, name);
      try {
        if (!statSync(p).isDirectory()) continue;
      } catch {
        continue;
      }
      if (name.startsWith(TEST_PREFIX)) found.push(p);
      else walk(p, depth + 1);
    }
  };
  for (const r of roots) if (existsSync(r)) walk(r, 0);
  return found;
}

export function leftovers(): string[] {
  const left: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint?.includes(TEST_PREFIX)) left.push(`mount ${mountPoint}`);
  }
  for (const dir of cgroupDirs()) left.push(`cgroup ${dir}`);
  try {
    for (const name of readdirSync('/sys/class/net')) if (name.startsWith(TEST_PREFIX)) left.push(`link ${name}`);
  } catch {
    // no sysfs net: nothing to report
  }
  try {
    for (const name of readdirSync('/run/netns')) if (name.startsWith(TEST_PREFIX)) left.push(`netns ${name}`);
  } catch {
    // no /run/netns
  }
  left.push(...nftTableLeftovers());
  return left;
}

/**
 * System V IPC objects of the host's IPC namespace (they have no names: the suite compares the set
 * before and after, so that the host's own objects do not count): "shm key=0x… id=…".
 */
export function sysvIpcObjects(): string[] {
  const found: string[] = [];
  for (const kind of ['shm', 'sem', 'msg']) {
    let lines: string[];
    try {
      lines = readFileSync(`/proc/sysvipc/${kind}`, 'utf8').trim().split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const [key, id] = line.trim().split(/\s+/);
      if (key !== undefined && id !== undefined) found.push(`${kind} key=0x${(Number(key) >>> 0).toString(16)} id=${id}`);
    }
  }
  return found;
}

/** The System V IPC objects that exist now but did not `before`. */
export function sysvIpcLeftovers(before: string[]): string[] {
  const had = new Set(before);
  return sysvIpcObjects().filter((o) => !had.has(o)).map((o) => `System V IPC ${o} (made while the suite ran)`);
}

/** nft tables of any family named for a test (`table inet tslabt-…`). */
export function nftTableLeftovers(): string[] {
  const r = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  if (r.status !== 0) return []; // no nftables here: no tables to leave
  return r.stdout.split('\n').map((l) => /^table (\S+) (\S+)/.exec(l.trim())).filter((m): m is RegExpExecArray => m !== null)
    .filter((m) => m[2]!.startsWith(TEST_PREFIX)).map((m) => `nft table ${m[1]} ${m[2]}`);
}

/** Whether tslab's default network (bridge tslab0, nft table `ip tslab`) is up on this machine. */
export interface DefaultNetworkState {
  bridge: boolean;
  table: boolean;
}

export function defaultNetworkState(): DefaultNetworkState {
  return {
    bridge: existsSync('/sys/class/net/tslab0'),
    table: spawnSync('nft', ['list', 'table', 'ip', 'tslab'], { stdio: 'ignore' }).status === 0,
  };
}

/** The default network objects that exist now but did not `before`. */
export function defaultNetworkLeftovers(before: DefaultNetworkState): string[] {
  const now = defaultNetworkState();
  return [
    ...(now.bridge && !before.bridge ? ['link tslab0 (the default bridge, brought up by a test)'] : []),
    ...(now.table && !before.table ? ['nft table ip tslab (the default table, made by a test)'] : []),
  ];
}
