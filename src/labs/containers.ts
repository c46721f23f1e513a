// One lab container's life: its overlay root and bundle, create and start through the runtime's CLI,
// and removal that checks the runtime really cleaned up (container gone, init gone, cgroups gone).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labSpec } from './bundle.js';
import { procCgroups, v1MountPoints, type CgroupMode } from './cgroups.js';
import type { ContainerDef } from './format.js';
import { mountOverlay, unmountOverlay, type OverlayMount } from './overlay.js';
import type { RuntimeCli } from './runtime-cli.js';
import { waitFor } from './wait.js';
import { RUNTIME_TIMEOUT_MS } from './runtime-cli.js';

export interface LiveContainer {
  name: string;
  def: ContainerDef;
  id: string;
  bundle: string;
  rootfs: string;
  outputFile: string;
  overlay?: OverlayMount;
  pid?: number;
  created: boolean;
  cgroupDirs: string[];
}

/** The pid belongs to a live process (not a zombie waiting to be reaped). */
export function isAlive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every cgroup directory a process is in (to remove them if a runtime leaves them behind). */
export function cgroupDirsOf(pid: number, mode: CgroupMode): string[] {
  if (mode === 'v2') {
    const unified = procCgroups(pid).find((l) => l.controllers.length === 0);
    return unified && unified.path !== '/' ? [join('/sys/fs/cgroup', unified.path)] : [];
  }
  const points = v1MountPoints();
  const dirs: string[] = [];
  for (const line of procCgroups(pid)) {
    // the hybrid layout's cgroup2 line lives under /sys/fs/cgroup/unified (runc creates it there too)
    const mp = line.controllers[0] ? points.get(line.controllers[0]) : '/sys/fs/cgroup/unified';
    if (mp && line.path !== '/' && existsSync(join(mp, line.path))) dirs.push(join(mp, line.path));
  }
  return dirs;
}

const tail = (file: string): string => {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
};

/** Mounts the container's overlay root (image layers below, its own upper on top) and writes config.json. */
export function prepareBundle(c: LiveContainer, layers: string[], scratch: string): void {
  mkdirSync(c.bundle, { recursive: true });
  // a bind mount's source "$SCRATCH/…" is a host folder of this lab run (made here, removed with it)
  const mounts = c.def.mounts?.map((m) => {
    if (!m.source?.startsWith('$SCRATCH/')) return m;
    const source = join(scratch, m.source.slice('$SCRATCH/'.length));
    mkdirSync(source, { recursive: true });
    return { ...m, source };
  });
  c.overlay = mountOverlay(layers.join(':'), join(scratch, `${c.name}-overlay`));
  c.rootfs = c.overlay.merged;
  writeFileSync(join(c.bundle, 'config.json'), JSON.stringify(labSpec({ ...c.def, mounts }, { rootfs: c.rootfs, cgroupsPath: `/${c.id}` }), null, 2));
}

/** `create --bundle --pid-file` with the container's output going to its output file; sets c.pid. */
export async function createContainer(c: LiveContainer, runtime: RuntimeCli, mode: CgroupMode): Promise<void> {
  const pidFile = join(c.bundle, 'init.pid');
  const out = openSync(c.outputFile, 'a');
  try {
    c.created = true;
    const r = await runtime.run(['create', '--bundle', c.bundle, '--pid-file', pidFile, c.id], { outputFd: out, timeoutMs: RUNTIME_TIMEOUT_MS });
    if (r.code !== 0) {
      const said = tail(c.outputFile) || r.stderr.trim();
      throw new Error(`container "${c.name}": ${runtime.path} create exited ${r.code ?? '(killed)'}${said ? `: ${said}` : ''}`);
    }
  } finally {
    closeSync(out);
  }
  c.pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!isAlive(c.pid)) {
    const said = tail(c.outputFile);
    throw new Error(`container "${c.name}": ${runtime.path} create succeeded, but the container's init (pid ${c.pid}) is already gone${said ? `: ${said}` : ''}`);
  }
  c.cgroupDirs = cgroupDirsOf(c.pid, mode);
}

/** delete --force, then make sure the container, its init and its cgroups are gone; unmount its root. */
export async function removeContainer(c: LiveContainer, runtime: RuntimeCli): Promise<string[]> {
  const problems: string[] = [];
  if (c.created) {
    const r = await runtime.run(['delete', '--force', c.id]).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }));
    const gone = await waitFor(`container ${c.id} to be deleted`, async () => ((await runtime.state(c.id)) ? undefined : true), 30_000)
      .catch(() => false);
    if (!gone) problems.push(`${c.id}: ${runtime.path} delete --force exited ${r.code}: ${r.stderr.trim()}`);
    if (c.pid) {
      const pid = c.pid;
      await waitFor(`pid ${pid} to exit`, () => (isAlive(pid) ? undefined : true), 30_000)
        .catch(() => problems.push(`${c.id}: its init (pid ${pid}) is still running after delete`));
    }
    // a runtime that leaves its cgroups behind is reported, and the empty directories removed
    for (const dir of c.cgroupDirs) {
      if (!existsSync(dir)) continue;
      problems.push(`${c.id}: the runtime left cgroup ${dir} behind`);
      try {
        rmdirSync(dir);
      } catch {
        // still has processes; the problem above already says so
      }
    }
  }
  if (c.overlay) {
    try {
      unmountOverlay(c.overlay);
    } catch (err) {
      problems.push(`unmount ${c.overlay.merged}: ${(err as Error).message}`);
    }
  }
  return problems;
}
