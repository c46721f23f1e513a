// Runs one lab: builds a bundle per container, starts the containers with the chosen runtime's CLI,
// narrates the steps, runs their commands and checks, and always tears everything down.
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { LabRef } from './catalog.js';
import { ContainerCgroup, cgroupProcsFiles, detectCgroupMode } from './cgroups.js';
import { createContainer, prepareBundle, removeContainer, type LiveContainer } from './containers.js';
import type { CheckOutcome, LabEvent, LabResult, LabSink } from './events.js';
import { runInside, runOutside } from './exec.js';
import { expect } from './expect.js';
import type { Command, CommandResult, ContainerView, HostFacts, LabContext, LabDefinition } from './format.js';
import { LabError, loadLab, locate } from './load.js';
import { imageLayers, MissingImageError } from './rootfs.js';
import { packageRoot, RuntimeCli } from './runtime-cli.js';
import { RuntimeTraceReader } from './runtime-trace.js';
import { writeOwner } from './gc.js';
import { pollUntil, waitFor } from './wait.js';
import { memorySink, tracer } from '../tracer/tracer.js';

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

/** A host file as text, at most 4 MiB of it ('' when unreadable): /proc/kcore must not exhaust memory. */
function readBounded(path: string, max = 4 << 20): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(64 * 1024);
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, max - total), null);
      if (n <= 0) break;
      parts.push(Buffer.from(buf.subarray(0, n)));
      total += n;
      if (total >= max) break;
    }
    return Buffer.concat(parts).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
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
  writeOwner(scratch, options.runtime);
  const traceFile = join(scratch, 'runtime-trace.jsonl');
  const runtime = new RuntimeCli(options.runtime, join(scratch, 'state'), traceFile);
  // the lab runner's own traced steps (overlay mounts, cgroup joins) land here too
  const own = memorySink();
  const dropSink = tracer.addSink(own.sink);
  const previousStage = tracer.stage;
  tracer.stage = 'lab';
  const traceReader = new RuntimeTraceReader(traceFile);
  /** emits the runtime's trace events written since the last call */
  const flushTrace = (): void => {
    const events = traceReader.readNew();
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
    // the runtime's CLI and its state root, so a step can ask it (`"$RUNTIME" --root "$RUNTIME_ROOT" state "$ID_C"`)
    // this tslab's CLI (`"$TSLAB" image inspect busybox`) and the lab's folder (scripts beside it)
    const env: Record<string, string> = { RUNTIME: runtime.path, RUNTIME_ROOT: runtime.root, SCRATCH: scratch, TSLAB: join(packageRoot(), 'bin', 'tslab'), LAB_DIR: dirname(ref.file) };
    if (process.env.TSLAB_DATA_ROOT) env.TSLAB_DATA_ROOT = process.env.TSLAB_DATA_ROOT;
    for (const c of live.values()) {
      const key = c.name.toUpperCase();
      env[`ID_${key}`] = c.id;
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
  const ctx: LabContext = {
    host, inside, outside, memo, expect, waitFor, pollUntil,
    container: view,
    readFile: (path) => readBounded(path),
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
        name, def, id, bundle: join(scratch, name), rootfs: '', outputFile: join(scratch, `${name}.output`), created: false, cgroupDirs: [],
      };
      live.set(name, c);
      prepareBundle(c, layers, scratch);
      await createContainer(c, runtime, mode);
      flushTrace();
      emit({ type: 'container', name, id, phase: 'created', pid: c.pid });
      await runtime.mustRun(`container "${name}": start`, ['start', id]);
      flushTrace();
      emit({ type: 'container', name, id, phase: 'started', pid: c.pid });
      if (def.ready) {
        const ready = def.ready;
        await waitFor(`container "${name}" to print "${ready}"`, () => (view(name).output().includes(ready) ? true : undefined), 60_000);
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
    for (const c of [...live.values()].reverse()) {
      result.cleanupErrors.push(...await removeContainer(c, runtime));
      if (c.created) emit({ type: 'container', name: c.name, id: c.id, phase: 'deleted' });
      flushTrace();
    }
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
