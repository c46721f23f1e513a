// What tests may have left on the machine: mounts, cgroups, links and netns whose names say tslab
// made them for a test (every test names its objects with the `tslabt` prefix).
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
  return left;
}
