// One lab container's life: its overlay root and bundle, create and start through the runtime's CLI,
// and removal that checks the runtime really cleaned up (container gone, init gone, cgroups gone).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labSpec } from './bundle.js';
import { cgroupOf } from '../runtime/cgroups/index.js';
import { processAlive } from '../runtime/proc.js';
import type { ContainerDef } from './format.js';
import { mountOverlay, unmountOverlay, type OverlayMount } from './overlay.js';
import type { RuntimeCli } from '../oci/runtime-cli.js';
import { waitFor } from './wait.js';
import { RUNTIME_TIMEOUT_MS } from '../oci/runtime-cli.js';

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
  c.overlay = mountOverlay(layers.join(':'), join(scratch, `${c.name}-overlay`));
  c.rootfs = c.overlay.merged;
  writeFileSync(join(c.bundle, 'config.json'), JSON.stringify(labSpec(c.def, { rootfs: c.rootfs, cgroupsPath: `/${c.id}` }), null, 2));
}

/** `create --bundle --pid-file` with the container's output going to its output file; sets c.pid. */
export async function createContainer(c: LiveContainer, runtime: RuntimeCli): Promise<void> {
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
  if (!processAlive(c.pid)) {
    const said = tail(c.outputFile);
    throw new Error(`container "${c.name}": ${runtime.path} create succeeded, but the container's init (pid ${c.pid}) is already gone${said ? `: ${said}` : ''}`);
  }
  // every cgroup directory the init is in, to remove them if a runtime leaves them behind
  c.cgroupDirs = cgroupOf(c.pid).dirs();
}

/** delete --force, then make sure the container, its init and its cgroups are gone; unmount its root. */
export async function removeContainer(c: LiveContainer, runtime: RuntimeCli): Promise<string[]> {
  const problems: string[] = [];
  if (c.created) {
    const r = await runtime.run(['delete', '--force', c.id]).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }));
    const gone = await waitFor(`container ${c.id} to be deleted`, async () => ((await runtime.stateAsync(c.id)) ? undefined : true), 30_000)
      .catch(() => false);
    if (!gone) problems.push(`${c.id}: ${runtime.path} delete --force exited ${r.code}: ${r.stderr.trim()}`);
    if (c.pid) {
      const pid = c.pid;
      await waitFor(`pid ${pid} to exit`, () => (processAlive(pid) ? undefined : true), 30_000)
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
