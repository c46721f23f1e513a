// Runs one lab: builds a bundle per container, starts the containers with the chosen runtime's CLI,
// narrates the steps, runs their commands and checks, and always tears everything down.
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { LabRef } from './catalog.js';
import { labSpec } from './bundle.js';
import { ContainerCgroup, cgroupProcsFiles, detectCgroupMode, procCgroups, v1MountPoints, type CgroupMode } from './cgroups.js';
import type { CheckOutcome, LabEvent, LabResult, LabSink } from './events.js';
import { runInside, runOutside } from './exec.js';
import { expect } from './expect.js';
import type { Command, CommandResult, ContainerDef, ContainerView, HostFacts, LabContext, LabDefinition } from './format.js';
import { LabError, loadLab, locate } from './load.js';
import { mountOverlay, unmountOverlay, type OverlayMount } from './overlay.js';
import { imageLayers, MissingImageError } from './rootfs.js';
import { RuntimeCli } from './runtime-cli.js';
import { memorySink, tracer } from '../tracer/tracer.js';
import { isTraceEvent } from '../tracer/event.js';

export const DEFAULT_PREFIX = 'tslab-lab-';

export interface RunLabOptions {
  runtime: string;
  /** starts container ids, cgroups and scratch folders; tests use `tslabt…` */
  prefix?: string;
  sink?: LabSink;
  /** awaited before each step (an instructor's "press Enter") */
  beforeStep?: (index: number) => Promise<void>;
  /** Ctrl-C: stop before the next command or check, then clean up as usual */
  signal?: AbortSignal;
}

interface LiveContainer {
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

const rand = (): string => Math.random().toString(36).slice(2, 6);

function lineOf(file: string, needle: RegExp): string | undefined {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    const i = lines.findIndex((l) => needle.test(l));
    const rel = relative(process.cwd(), file);
    return i >= 0 ? `${rel.startsWith('..') ? file : rel}:${i + 1}` : undefined;
  } catch {
    return undefined;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}

/** Every cgroup directory a process is in (to remove them if a runtime leaves them behind). */
function cgroupDirsOf(pid: number, mode: CgroupMode): string[] {
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

export async function runLab(ref: LabRef, options: RunLabOptions): Promise<LabResult> {
  const started = Date.now();
  const emit = (e: LabEvent): void => options.sink?.(e);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const result: LabResult = { ref, title: ref.id, runtime: options.runtime, checks: [], durationMs: 0, cleanupErrors: [], trace: [] };
  const finish = (): LabResult => {
    result.durationMs = Date.now() - started;
    emit({ type: 'lab-end', result });
    return result;
  };

  let lab: LabDefinition;
  try {
    lab = await loadLab(ref);
  } catch (err) {
    result.error = err instanceof LabError ? err.message : `${ref.id}: ${(err as Error).message}`;
    return finish();
  }
  result.title = lab.title;
  const mode = detectCgroupMode();
  const host: HostFacts = { cgroup: mode, arch: process.arch, cpus: availableParallelism(), runtime: options.runtime };
  emit({ type: 'lab-start', ref, title: lab.title, summary: lab.summary, runtime: options.runtime });
  const skip = lab.skipIf?.(host);
  if (skip) {
    result.skipped = skip;
    return finish();
  }

  const scratch = mkdtempSync(join(tmpdir(), `${prefix}${ref.name}-`));
  // a user-namespaced container's root (an unprivileged host uid) must be able to reach its rootfs
  chmodSync(scratch, 0o711);
  const traceFile = join(scratch, 'runtime-trace.jsonl');
  const runtime = new RuntimeCli(options.runtime, join(scratch, 'state'), traceFile);
  // the lab runner's own traced steps (overlay mounts, cgroup joins) land here too
  const own = memorySink();
  const dropSink = tracer.addSink(own.sink);
  const previousStage = tracer.stage;
  tracer.stage = 'lab';
  let traceRead = 0;
  /** emits the runtime's trace events written since the last call */
  const flushTrace = (): void => {
    let text = '';
    try {
      text = readFileSync(traceFile, 'utf8');
    } catch {
      return;
    }
    const fresh = text.slice(traceRead);
    const end = fresh.lastIndexOf('\n');
    if (end < 0) return;
    traceRead += end + 1;
    const events = fresh.slice(0, end).split('\n').flatMap((line) => {
      try {
        const e = JSON.parse(line) as unknown;
        return isTraceEvent(e) ? [e] : [];
      } catch {
        return [];
      }
    });
    if (events.length) {
      result.trace.push(...events);
      emit({ type: 'trace', events });
    }
  };
  mkdirSync(runtime.root, { recursive: true });
  const live = new Map<string, LiveContainer>();
  const memo: Record<string, string> = {};

  const view = (name: string): ContainerView => {
    const c = live.get(name);
    if (!c) throw new Error(`no container "${name}" in this lab (it has: ${[...live.keys()].join(', ')})`);
    if (!c.pid) throw new Error(`container "${name}" has not started`);
    return {
      name, id: c.id, pid: c.pid, bundle: c.bundle, rootfs: c.rootfs, overlay: c.overlay,
      output: () => (existsSync(c.outputFile) ? readFileSync(c.outputFile, 'utf8') : ''),
      cgroup: new ContainerCgroup(mode, c.pid),
      configuredCgroup: new ContainerCgroup(mode, c.pid, `/${c.id}`),
    };
  };
  const hostEnv = (): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const c of live.values()) {
      const key = c.name.toUpperCase();
      if (c.pid) env[`PID_${key}`] = String(c.pid);
      env[`ROOTFS_${key}`] = c.rootfs;
      env[`BUNDLE_${key}`] = c.bundle;
      if (c.overlay) {
        env[`UPPER_${key}`] = c.overlay.upper;
        env.LOWER = c.overlay.lower;
      }
    }
    return env;
  };
  const inside = (name: string, sh: string, o: { timeoutMs?: number } = {}): Promise<CommandResult> => {
    const c = view(name);
    return runInside(c.pid, cgroupProcsFiles(c.pid, mode), sh, { timeoutMs: o.timeoutMs });
  };
  const outside = (sh: string, o: { timeoutMs?: number } = {}): Promise<CommandResult> =>
    runOutside(sh, { env: hostEnv(), timeoutMs: o.timeoutMs });
  const pollUntil = async <T>(probe: () => Promise<T> | T, done: (v: T) => boolean, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (done(value) || Date.now() >= deadline) return value;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const ctx: LabContext = {
    host, inside, outside, memo, expect, waitFor, pollUntil,
    container: view,
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return '';
      }
    },
  };

  const stopIfAborted = (): void => {
    if (options.signal?.aborted) throw new Error('interrupted: stopped before the next step, containers removed');
  };
  const runCommand = async (cmd: Command): Promise<void> => {
    stopIfAborted();
    const sh = typeof cmd.sh === 'function' ? cmd.sh(ctx) : cmd.sh;
    emit({ type: 'command-start', container: cmd.in, sh });
    const t0 = Date.now();
    let res: CommandResult;
    try {
      res = cmd.in ? await inside(cmd.in, sh, cmd) : await outside(sh, cmd);
    } catch (err) {
      emit({ type: 'command', container: cmd.in, sh, error: (err as Error).message, durationMs: Date.now() - t0 });
      throw new Error(`command \`${sh}\`${cmd.in ? ` in ${cmd.in}` : ''} ${(err as Error).message}`);
    }
    emit({ type: 'command', container: cmd.in, sh, result: res, durationMs: Date.now() - t0 });
    if (cmd.saveAs) memo[cmd.saveAs] = res.out;
    if (res.code !== 0 && !cmd.mayFail) {
      const said = (res.stderr || res.stdout).trim().split('\n').slice(-2).join(' | ');
      throw new Error(`command \`${sh}\`${cmd.in ? ` in ${cmd.in}` : ''} exited ${res.code ?? res.signal}${said ? `: ${said}` : ''}`);
    }
  };

  try {
    for (const [name, def] of Object.entries(lab.containers)) {
      stopIfAborted();
      const id = `${prefix}${ref.name}-${name}-${rand()}`;
      const bundle = join(scratch, name);
      mkdirSync(bundle, { recursive: true });
      let layers: string[];
      try {
        layers = await imageLayers(def.image, (line) => process.stderr.write(`${line}\n`));
      } catch (err) {
        if (err instanceof MissingImageError) {
          throw new LabError(ref.id, lineOf(ref.file, new RegExp(`image:\\s*['"\`]${def.image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)),
            `container "${name}": ${err.message}`);
        }
        throw err;
      }
      const c: LiveContainer = {
        name, def, id, bundle, rootfs: '', outputFile: join(scratch, `${name}.output`), created: false, cgroupDirs: [],
      };
      live.set(name, c);
      // every container's root is an overlay: the image's layers below, this container's upper on top
      c.overlay = mountOverlay(layers.join(':'), join(scratch, `${name}-overlay`));
      c.rootfs = c.overlay.merged;
      const spec = labSpec(def, { rootfs: c.rootfs, cgroupsPath: `/${id}` });
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
      const pidFile = join(bundle, 'init.pid');
      const out = openSync(c.outputFile, 'a');
      try {
        c.created = true;
        const r = await runtime.run(['create', '--bundle', bundle, '--pid-file', pidFile, id], { outputFd: out, timeoutMs: 30_000 });
        if (r.code !== 0) {
          const said = readFileSync(c.outputFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
          throw new Error(`container "${name}": ${options.runtime} create exited ${r.code}${said ? `: ${said}` : ''}`);
        }
      } finally {
        closeSync(out);
      }
      c.pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (!existsSync(`/proc/${c.pid}`) || !isOurInit(c.pid)) {
        const said = readFileSync(c.outputFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
        throw new Error(`container "${name}": ${options.runtime} create succeeded, but the container's init (pid ${c.pid}) is already gone${said ? `: ${said}` : ''}`);
      }
      c.cgroupDirs = cgroupDirsOf(c.pid, mode);
      flushTrace();
      emit({ type: 'container', name, id, phase: 'created', pid: c.pid });
      await runtime.mustRun(`container "${name}": start`, ['start', id]);
      flushTrace();
      emit({ type: 'container', name, id, phase: 'started', pid: c.pid });
      if (def.ready) {
        const ready = def.ready;
        await waitFor(`container "${name}" to print "${ready}"`, () => (view(name).output().includes(ready) ? true : undefined), 15_000);
      }
    }

    for (const [index, step] of lab.steps.entries()) {
      stopIfAborted();
      await options.beforeStep?.(index);
      stopIfAborted();
      emit({ type: 'step', index, total: lab.steps.length, title: step.title, say: step.say });
      for (const cmd of step.run ?? []) await runCommand(cmd);
      for (const check of step.checks ?? []) {
        stopIfAborted();
        const t0 = Date.now();
        let outcome: CheckOutcome;
        try {
          const verdict = await check.verify(ctx);
          outcome = {
            step: step.title, title: check.title, from: check.from, status: verdict.ok ? 'pass' : 'fail',
            expected: verdict.expected, seen: verdict.seen, durationMs: Date.now() - t0,
          };
          if (!verdict.ok) outcome.hint = typeof check.hint === 'function' ? check.hint(verdict.seen) : check.hint;
        } catch (err) {
          const where = locate(err, ref.file);
          outcome = {
            step: step.title, title: check.title, from: check.from, status: 'error',
            error: `${where ? `${where}: ` : ''}check threw: ${(err as Error).message}`, durationMs: Date.now() - t0,
            hint: typeof check.hint === 'function' ? undefined : check.hint,
          };
        }
        result.checks.push(outcome);
        emit({ type: 'check', outcome });
      }
    }
  } catch (err) {
    result.error = err instanceof LabError ? err.message : `${ref.id}: ${(err as Error).message}`;
  } finally {
    for (const cmd of lab.cleanup ?? []) {
      try {
        const sh = typeof cmd.sh === 'function' ? cmd.sh(ctx) : cmd.sh;
        await outside(sh, cmd);
      } catch (err) {
        result.cleanupErrors.push(`cleanup command: ${(err as Error).message}`);
      }
    }
    for (const c of [...live.values()].reverse()) await removeContainer(c, runtime, result, emit);
    flushTrace();
    dropSink();
    tracer.stage = previousStage;
    result.trace.push(...own.events);
    result.trace.sort((a, b) => a.t - b.t);
    try {
      rmSync(scratch, { recursive: true, force: true });
    } catch (err) {
      result.cleanupErrors.push(`remove ${scratch}: ${(err as Error).message}`);
    }
  }
  return finish();
}

async function removeContainer(c: LiveContainer, runtime: RuntimeCli, result: LabResult, emit: (e: LabEvent) => void): Promise<void> {
  if (c.created) {
    const r = await runtime.run(['delete', '--force', c.id]).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }));
    const gone = await waitFor(`container ${c.id} to be deleted`, async () => ((await runtime.state(c.id)) ? undefined : true), 10_000)
      .catch(() => false);
    if (!gone) result.cleanupErrors.push(`${c.id}: ${runtime.path} delete --force exited ${r.code}: ${r.stderr.trim()}`);
    if (c.pid) {
      await waitFor(`pid ${c.pid} to exit`, () => (existsSync(`/proc/${c.pid}/cgroup`) && isOurInit(c.pid!) ? undefined : true), 10_000)
        .catch(() => result.cleanupErrors.push(`${c.id}: its init (pid ${c.pid}) is still running after delete`));
    }
    // a runtime that leaves its cgroups behind is reported, and the empty directories removed
    for (const dir of c.cgroupDirs) {
      if (!existsSync(dir)) continue;
      result.cleanupErrors.push(`${c.id}: the runtime left cgroup ${dir} behind`);
      try {
        rmdirSync(dir);
      } catch {
        // still has processes; the error above already says so
      }
    }
    emit({ type: 'container', name: c.name, id: c.id, phase: 'deleted' });
  }
  if (c.overlay) {
    try {
      unmountOverlay(c.overlay);
    } catch (err) {
      result.cleanupErrors.push(`unmount ${c.overlay.merged}: ${(err as Error).message}`);
    }
  }
}

/** The pid still belongs to a live process (not a zombie already reaped into another). */
function isOurInit(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}
