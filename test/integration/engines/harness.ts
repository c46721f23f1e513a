// Real engines driving tslab-runtime, with runc beside it as the oracle. Each engine is started by
// its test on private roots, sockets and data directories (never the machine's defaults; no
// iptables, no bridge), loads an image the test builds from busybox-static, and runs one scenario:
// every engine is an EngineDriver, the scenario is written once (scenario.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runcPath, TSLAB, TSLAB_RUNTIME, waitFor, type Result } from '../../helpers/runtimes.js';
import { leftovers } from '../../helpers/leftovers.js';
import { findDirs } from '../../../src/runtime/find-dirs.js';
import { subCgroups } from '../../../src/runtime/cgroups/files.js';

export const IMAGE = 'localhost/tslabt-eng-busybox:1';

/** A unique prefix for everything one test file makes (dirs, cgroup parents, names). */
export function enginePrefix(engine: string): string {
  return `tslabt-eng-${engine}-${process.pid}`;
}

export function privateDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return dir;
}

/** The busybox image as an OCI archive with docker's manifest.json: loadable by docker, podman and ctr. */
export async function buildImageArchive(dir: string): Promise<string> {
  const env = { ...process.env, TSLAB_DATA_ROOT: join(dir, 'tslab-data') };
  const archive = join(dir, 'busybox-image.tar');
  for (const args of [['image', 'build-busybox', IMAGE], ['image', 'save', IMAGE, '-o', archive]]) {
    const r = await run(TSLAB, args, { env, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`tslab ${args.join(' ')}: ${r.stderr}`);
  }
  rmSync(join(dir, 'tslab-data'), { recursive: true, force: true });
  return archive;
}

export interface Daemon {
  child: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

/** Starts a daemon of ours (its own process group) and waits until `ready` says so. */
export async function startDaemon(cmd: string, args: string[], ready: () => Promise<boolean> | boolean, what: string, env?: NodeJS.ProcessEnv): Promise<Daemon> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: env ?? process.env });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let gone = false;
  void exited.then(() => { gone = true; });
  const daemon: Daemon = {
    child,
    log: () => log,
    stop: async () => {
      if (gone) return;
      try {
        process.kill(child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000));
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        try {
          process.kill(child.pid!, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
        await exited;
      }
    },
  };
  try {
    await waitFor(`${what} to start`, async () => {
      if (gone) throw new Error(`${what} exited at start:\n${log.slice(-3000)}`);
      return (await ready()) ? true : undefined;
    }, 60_000);
  } catch (err) {
    await daemon.stop();
    throw err;
  }
  return daemon;
}

/** Whether a program is installed; else the package that has it, for a visible skip. */
export function missing(programs: Record<string, string>): string | undefined {
  for (const [program, pkg] of Object.entries(programs)) {
    if (spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0) return `${program} is not installed (apt-get install ${pkg})`;
  }
  return undefined;
}

/** The two runtimes every scenario runs on. */
export function runtimesUnderTest(): Array<{ name: 'tslab-runtime' | 'runc'; path: string }> {
  const runc = runcPath();
  if (!runc) throw new Error('runc is not installed (apt-get install runc): it is the oracle for the engine tests');
  return [{ name: 'tslab-runtime', path: TSLAB_RUNTIME }, { name: 'runc', path: runc }];
}

/** The cgroup (v1 memory hierarchy, or the v2 path) of a process, as /proc/PID/cgroup names it. */
export function cgroupOf(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const line = lines.find((l) => l.split(':')[1] === 'memory') ?? lines.find((l) => l.startsWith('0::'))!;
  const path = line.split(':').slice(2).join(':');
  return existsSync('/sys/fs/cgroup/memory') ? join('/sys/fs/cgroup/memory', path) : join('/sys/fs/cgroup', path);
}

export function memoryLimitFile(cgroupDir: string): string {
  return existsSync(join(cgroupDir, 'memory.limit_in_bytes')) ? join(cgroupDir, 'memory.limit_in_bytes') : join(cgroupDir, 'memory.max');
}

/** Directories named `id` under `roots` (a runtime's state, an engine's bundle), to `depth` levels. */
export function dirsNamed(id: string, roots: string[], depth = 5): string[] {
  return findDirs(roots, (name) => name === id, depth + 1);
}

/** What a removed container left: mounts or cgroups naming it, its process, its state directories. */
export function leftBehind(id: string, pid: number, stateRoots: string[]): string[] {
  const left = leftovers().filter((l) => l.includes(id));
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (line.includes(id) && !left.some((l) => line.includes(l.slice(6)))) left.push(`mount ${line.split(' ')[4]}`);
  }
  if (pid > 0 && existsSync(`/proc/${pid}`)) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (!/\) Z /.test(stat)) left.push(`process ${pid}`);
  }
  for (const dir of dirsNamed(id, stateRoots)) left.push(`state ${dir}`);
  return left;
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export type { Result };

/** The (empty) cgroup parent an engine made for our containers, in every hierarchy. */
export function removeCgroupParent(prefix: string): void {
  const roots = existsSync('/sys/fs/cgroup/memory') ? readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h)) : ['/sys/fs/cgroup'];
  const remove = (dir: string): void => {
    // the engine's own cgroups below it (podman's conmon) first
    for (const d of [...subCgroups(dir), dir]) {
      try {
        rmdirSync(d);
      } catch {
        // not made in this hierarchy, or still busy: the suite's teardown names it
      }
    }
  };
  for (const root of roots) remove(join(root, prefix));
}
