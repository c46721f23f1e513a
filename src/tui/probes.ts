// Reads what the kernel says about a running container: its namespace ids beside the host's, and
// its cgroup's current usage. Pure functions of /proc and /sys, polled by the TUI while it runs.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupWrite } from './model.js';
import { formatBytes } from './text.js';

export const NS_TYPES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'] as const;

export interface NamespaceEntry {
  type: string;
  host: string | undefined;
  container: string | undefined;
  /** the container's namespace differs from the host's (or the trace shows it was unshared) */
  isNew: boolean;
}

export interface NamespaceView {
  entries: NamespaceEntry[];
  note: string;
}

function nsId(pid: number | 'self', type: string): string | undefined {
  try {
    const link = readlinkSync(`/proc/${pid}/ns/${type}`); // e.g. "pid:[4026531836]"
    return /\[(\d+)\]/.exec(link)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The namespaces of `pid` compared with this process's (the host's). Without a live pid the view
 * falls back to what the trace says was unshared.
 */
export function readNamespaces(pid: number | undefined, unshared: ReadonlySet<string>, previous?: NamespaceView): NamespaceView {
  const live = pid !== undefined && existsSync(`/proc/${pid}/ns`);
  if (!live && previous && previous.entries.some((e) => e.container !== undefined)) {
    return { entries: previous.entries, note: '(last seen)' };
  }
  const entries = NS_TYPES.map((type): NamespaceEntry => {
    const host = nsId('self', type);
    const container = live ? nsId(pid, type) : undefined;
    const isNew = container !== undefined ? container !== host : unshared.has(type);
    return { type, host, container, isNew };
  }).filter((e) => e.host !== undefined);
  const note = live ? `init pid ${pid}` : pid !== undefined ? `(pid ${pid} gone: from the trace)` : '(from the trace)';
  return { entries, note };
}

export interface CgroupUsage {
  items: Array<{ name: string; value: string }>;
  note: string;
}

const USAGE_FILES: Array<[string, (raw: string) => string]> = [
  ['memory.current', (r) => formatBytes(Number(r))],
  ['memory.usage_in_bytes', (r) => formatBytes(Number(r))],
  ['memory.peak', (r) => formatBytes(Number(r))],
  ['pids.current', (r) => r],
  ['cpu.stat', (r) => {
    const usec = /usage_usec (\d+)/.exec(r)?.[1]; // v2 only; v1's cpu.stat counts throttling
    return usec === undefined ? '' : `${(Number(usec) / 1000).toFixed(1)}ms cpu`;
  }],
  ['cpuacct.usage', (r) => `${(Number(r) / 1e6).toFixed(1)}ms cpu`],
];

/** Current usage read from every cgroup directory the runtime wrote to (v1 has one per controller). */
export function readCgroupUsage(writes: readonly CgroupWrite[]): CgroupUsage {
  const dirs = [...new Set(writes.map((w) => w.path.replace(/\/[^/]+$/, '')))];
  if (dirs.length === 0) return { items: [], note: 'no cgroup written yet' };
  const items: CgroupUsage['items'] = [];
  for (const dir of dirs) {
    for (const [file, show] of USAGE_FILES) {
      const p = join(dir, file);
      if (!existsSync(p)) continue;
      try {
        const value = show(readFileSync(p, 'utf8').trim());
        if (value !== '') items.push({ name: file, value });
      } catch {
        // the cgroup went away between the check and the read
      }
    }
  }
  const gone = dirs.every((d) => !existsSync(d));
  return { items, note: items.length > 0 ? '' : gone ? 'cgroup gone (container deleted)' : 'nothing to read yet' };
}
