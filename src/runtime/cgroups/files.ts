// Small helpers shared by both cgroup implementations.
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeKernelFile } from '../sys/index.js';
import { tracer } from '../../tracer/tracer.js';

export function writeCgroupFile(dir: string, file: string, value: string): void {
  writeKernelFile(`${dir}/${file}`, value, 'cgroup.write', `write ${file} = ${value}`);
}

/** The freezer's file in a cgroup directory and the values it takes, v1 and v2. */
const FREEZER = {
  v1: { file: 'freezer.state', frozen: 'FROZEN', thawed: 'THAWED' },
  v2: { file: 'cgroup.freeze', frozen: '1', thawed: '0' },
} as const;

/**
 * Asks the kernel to freeze or thaw every task of the cgroup at dir (the freezer state file says
 * when it is done). mode picks the file; without it, whichever of the two dir has (reaping a bare
 * directory of either version). Throws when dir has neither.
 */
export function freezeDir(dir: string, frozen: boolean, mode?: 'v1' | 'v2'): void {
  const freezer = FREEZER[mode ?? (existsSync(join(dir, FREEZER.v1.file)) ? 'v1' : 'v2')];
  writeCgroupFile(dir, freezer.file, frozen ? freezer.frozen : freezer.thawed);
}

export function readNumber(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (text === 'max') return Infinity;
    const n = Number(text.split(/\s+/)[0]);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** A flat-keyed file (cpu.stat, memory.events, pids.events…): `key value` lines, numeric values only. */
export function parseKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

export function readKeyed(path: string): Record<string, number> {
  try {
    return parseKeyed(readFileSync(path, 'utf8'));
  } catch {
    return {}; // missing file: no stats
  }
}

export function readPids(dir: string): number[] {
  try {
    return readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function waitUntil(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
}

/** The sub-cgroups below dir, deepest first (each before its parent). */
export function subCgroups(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isDirectory()).flatMap((e) => [...subCgroups(join(dir, e.name)), join(dir, e.name)]);
}

function rmdirCgroup(dir: string): void {
  tracer.step({ kind: 'syscall', step: 'rmdir', args: { path: dir }, summary: `rmdir ${dir}` }, () => {
    // rmdir of a cgroup can race with the last task's exit (EBUSY): retry briefly
    for (let i = 0; ; i++) {
      try {
        rmdirSync(dir);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (code !== 'EBUSY' || i > 200) throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  });
}

/**
 * Kills what is left in the cgroup, waits for it to empty, removes its empty sub-cgroups and the
 * directory. A sub-cgroup that still holds processes (someone else's) is left, as runc leaves it:
 * returns what stood in the way, so the caller can say so and go on.
 */
export async function removeCgroupDir(dir: string): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined;
  for (const pid of readPids(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try {
    await waitUntil(`${dir} to empty`, () => readPids(dir).length === 0);
    for (const sub of subCgroups(dir)) rmdirCgroup(sub);
    rmdirCgroup(dir);
    return undefined;
  } catch (err) {
    return `cgroup ${dir} is left in place: ${(err as Error).message}`;
  }
}

/**
 * Sums block I/O bytes: v1 blkio.throttle.io_service_bytes lines "8:0 Read 4096", v2 io.stat
 * "8:0 rbytes=4096 wbytes=0 …". `re` captures the kind (Read|rbytes / Write|wbytes) and the number.
 */
export function blockBytes(path: string, re: RegExp): { blockRead?: number; blockWrite?: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    for (const m of line.matchAll(new RegExp(re.source, 'g'))) {
      if (m[1] === 'Read' || m[1] === 'rbytes') read += Number(m[2]);
      else write += Number(m[2]);
    }
  }
  return { blockRead: read, blockWrite: write };
}
