// A container at a folder its caller owns, driven through any runc-compatible runtime's command
// line (ours in-process when the client asks: runtime-cli.ts): the image's layers as an overlay root (the same mount as `tslab container run`), config.json
// from the caller's spec, then create → start → remove. Labs run every container through this, and
// removal checks that the runtime really cleaned up (container gone, init gone, cgroups gone).
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Spec } from '../oci/spec.js';
import { RUNTIME_TIMEOUT_MS, STEPPING_TIMEOUT_MS, type RunAttachments, type RuntimeCli } from '../oci/runtime-cli.js';
import { cgroupOf } from '../runtime/cgroups/index.js';
import { mountPointsBelow, readMountinfo } from '../runtime/mountinfo.js';
import { MNT, sys } from '../runtime/sys/index.js';
import { processAlive } from '../runtime/proc.js';
import { attachContainer, prepareContainer, type FileMount } from '../net/index.js';
import { releaseNetwork } from './network.js';
import { mountRootfs, rootfsPaths, unmountRootfs } from './rootfs.js';
import { runInside, type CommandResult } from './shell.js';

/** An image the store cannot give (labs do not pull: `tslab image pull` it first). */
export class MissingImageError extends UsageError {
  constructor(readonly image: string, reason: string) {
    super(`image "${image}" is not available: ${reason}`);
    this.name = 'MissingImageError';
  }
}

/**
 * The image's layers as overlay lowerdirs, top layer first, from the image store without pulling
 * (busybox is built from the host's busybox-static when the store lacks it).
 */
export async function imageLowerDirs(image: string, say: (line: string) => void): Promise<string[]> {
  try {
    const { ensureImage } = await import('../image/index.js');
    return (await ensureImage(image, { pull: false, say })).lowerDirs;
  } catch (err) {
    throw new MissingImageError(image, (err as Error).message);
  }
}

/** The overlay under a container's root: lower (the image's layers, ':'-joined), upper, work, merged. */
export interface OverlayView {
  lower: string;
  upper: string;
  work: string;
  merged: string;
}

export interface ContainerRequest {
  /** the runtime's container id (also what the caller's spec uses for its cgroup) */
  id: string;
  image: string;
  /** the bundle folder: config.json, rootfs/ (the overlay), upper/, work/ */
  bundle: string;
  runtime: RuntimeCli;
  /** the container's stdout and stderr are appended here */
  outputFile: string;
  /**
   * config.json for the mounted root; the request's own fields (mounts, limits…) are the caller's to
   * apply, and so are netMounts (the hosts/hostname/resolv.conf binds of a bridge network)
   */
  spec: (rootfs: string, netMounts: FileMount[]) => Spec;
  /**
   * as `tslab container run --network/-p`: `bridge` (the default network) or a user-defined network
   * gives the container a veth pair, an address and its published ports; absent: the spec decides
   * (its own network namespace with only loopback, or the host's)
   */
  network?: { name: string; ports?: string[]; hostname?: string };
  /** one-line notes (the image store building busybox) */
  say?: (line: string) => void;
}

/** What a caller may look at while the container runs. */
export interface ContainerInspect {
  id: string;
  /** the init's pid as the host sees it, once created */
  pid?: number;
  bundle: string;
  rootfs: string;
  overlay?: OverlayView;
  /** the runtime's status (created, running, stopped…), undefined when it does not know the container */
  status?: string;
}

const tail = (file: string): string => {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
};

/** The lowerdir option of the overlay mounted at path, as the kernel reports it. */
function mountedLower(path: string): string | undefined {
  const mount = readMountinfo().find((m) => m.mountPoint === path && m.fstype === 'overlay');
  return mount?.superOptions.find((o) => o.startsWith('lowerdir='))?.slice('lowerdir='.length);
}

/**
 * One container's life. Every step can fail halfway; remove() undoes whatever was done, so a caller
 * keeps the object from before create() and always calls remove().
 */
export class EngineContainer {
  pid?: number;
  overlay?: OverlayView;
  /** the runtime's create was run (so its state must be deleted) */
  created = false;
  /** every cgroup directory the init was in, to remove them if the runtime leaves them behind */
  cgroupDirs: string[] = [];
  /** an address was leased (so veth, rules and lease must go at remove) */
  networked = false;

  constructor(readonly request: ContainerRequest) {}

  get id(): string {
    return this.request.id;
  }

  get rootfs(): string {
    return rootfsPaths(this.request.bundle).rootfs;
  }

  /**
   * Mounts the root, writes config.json and runs the runtime's `create --pid-file`; sets pid.
   * `attach`: a stepping TUI's pipes for the runtime (the create then waits for a person).
   */
  async create(attach?: RunAttachments): Promise<void> {
    const { bundle, runtime, outputFile, id } = this.request;
    const lowers = await imageLowerDirs(this.request.image, this.request.say ?? (() => {}));
    mkdirSync(bundle, { recursive: true });
    mountRootfs(bundle, lowers);
    const paths = rootfsPaths(bundle);
    this.overlay = { lower: mountedLower(paths.rootfs) ?? lowers.join(':'), upper: paths.upper, work: paths.work, merged: paths.rootfs };
    const net = this.request.network;
    let netMounts: FileMount[] = [];
    if (net) {
      releaseNetwork(id); // a dead owner's lease of this id must not stand in the way
      this.networked = true;
      netMounts = prepareContainer({ id, network: net.name, name: id, hostname: net.hostname ?? id.slice(0, 12), ports: net.ports ?? [] }).mounts;
    }
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(this.request.spec(paths.rootfs, netMounts), null, 2));
    const pidFile = join(bundle, 'init.pid');
    const out = openSync(outputFile, 'a');
    try {
      this.created = true;
      const r = await runtime.create(id, bundle, pidFile, { outputFd: out, timeoutMs: attach ? STEPPING_TIMEOUT_MS : RUNTIME_TIMEOUT_MS, ...(attach ? { attach } : {}) });
      if (r.code !== 0) {
        const said = tail(outputFile) || r.stderr.trim();
        throw new UsageError(`${runtime.path} create exited ${r.code ?? '(killed)'}${said ? `: ${said}` : ''}`);
      }
    } finally {
      closeSync(out);
    }
    this.pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!processAlive(this.pid)) {
      const said = tail(outputFile);
      throw new UsageError(`${runtime.path} create succeeded, but the container's init (pid ${this.pid}) is already gone${said ? `: ${said}` : ''}`);
    }
    this.cgroupDirs = cgroupOf(this.pid).dirs();
    // between create and start, as the engine's monitor does: the init's netns gets eth0 and the ports
    if (net) attachContainer({ id, pid: this.pid });
  }

  /** The runtime's `start`: the init execs the container's program. */
  async start(attach?: RunAttachments): Promise<void> {
    await this.request.runtime.start(this.id, attach ? { attach, timeoutMs: STEPPING_TIMEOUT_MS } : {});
  }

  /** Runs a shell script inside: in the container's cgroups, then nsenter into all its namespaces and its root. */
  exec(script: string, options: { timeoutMs?: number } = {}): Promise<CommandResult> {
    if (!this.pid) throw new UsageError(`container ${this.id} has not been created`);
    return runInside(this.pid, cgroupOf(this.pid).procsFiles(), script, options);
  }

  /** Sends a signal to the init (the runtime's `kill`). */
  async kill(signal = 'TERM'): Promise<void> {
    await this.request.runtime.mustRun(`kill ${signal}`, ['kill', this.id, signal.replace(/^SIG/, '')]);
  }

  /** SIGTERM, then SIGKILL after timeoutMs; resolves once the init is gone. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const pid = this.pid;
    if (!pid || !processAlive(pid)) return;
    await this.kill('TERM').catch(() => undefined);
    if (await waitGone(pid, timeoutMs)) return;
    await this.kill('KILL').catch(() => undefined);
    if (!(await waitGone(pid, 15_000))) throw new UsageError(`container ${this.id}: its init (pid ${pid}) did not stop after SIGKILL`);
  }

  async inspect(): Promise<ContainerInspect> {
    const state = this.created ? await this.request.runtime.stateAsync(this.id) : undefined;
    return { id: this.id, pid: this.pid, bundle: this.request.bundle, rootfs: this.rootfs, overlay: this.overlay, status: state?.status };
  }

  /** delete --force, then makes sure the container, its init and its cgroups are gone; unmounts its root. Returns the problems seen. */
  async remove(): Promise<string[]> {
    const { runtime, bundle } = this.request;
    const problems: string[] = [];
    if (this.created) {
      const r = await runtime.deleteForceAsync(this.id).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }));
      const gone = await poll(async () => (await runtime.stateAsync(this.id)) === undefined, 30_000);
      if (!gone) problems.push(`${this.id}: ${runtime.path} delete --force exited ${r.code}: ${r.stderr.trim()}`);
      if (this.pid && !(await waitGone(this.pid, 30_000))) problems.push(`${this.id}: its init (pid ${this.pid}) is still running after delete`);
      // a runtime that leaves its cgroups behind is reported, and the empty directories removed
      for (const dir of this.cgroupDirs) {
        if (!existsSync(dir)) continue;
        problems.push(`${this.id}: the runtime left cgroup ${dir} behind`);
        try {
          rmdirSync(dir);
        } catch {
          // still has processes; the problem above already says so
        }
      }
    }
    if (this.networked) {
      try {
        releaseNetwork(this.id);
      } catch (err) {
        problems.push(`${this.id}: releasing its network: ${(err as Error).message}`);
      }
    }
    if (this.overlay) {
      try {
        unmountRootfs(bundle);
      } catch (err) {
        problems.push(`unmount ${this.overlay.merged}: ${(err as Error).message}`);
      }
    }
    return problems;
  }
}

/**
 * What a dead owner left below `dir`: deletes every container the runtime's state folder knows and
 * unmounts every mount below dir (deepest first). For a caller's sweeper of its own stale folders.
 */
export async function sweepContainers(dir: string, runtime: RuntimeCli | undefined): Promise<void> {
  if (runtime && existsSync(runtime.root)) {
    for (const id of readdirSync(runtime.root)) await runtime.run(['delete', '--force', id]).catch(() => undefined);
  }
  for (const point of mountPointsBelow(dir)) {
    try {
      sys.umount2(point, MNT.MNT_DETACH);
    } catch {
      // already gone
    }
  }
}

/** Polls (without blocking the event loop) until done() or the deadline; says which. */
async function poll(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, delay));
  }
}

const waitGone = (pid: number, timeoutMs: number): Promise<boolean> => poll(() => !processAlive(pid), timeoutMs);
