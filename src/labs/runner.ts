// Runs one lab: makes and starts its containers through the container engine (src/container: the
// image's overlay, the lab's config.json, the chosen runtime's CLI), narrates the steps, runs their
// commands and checks, and always tears everything down.
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { LabRef } from './catalog.js';
import { labSpec, onBridge } from './bundle.js';
import type { SteppingSession } from './stepping.js';
import type { RunAttachments } from '../oci/runtime-cli.js';
import { labResult, type CheckOutcome, type LabEvent, type LabResult, type LabSink } from './events.js';
import { expect } from './expect.js';
import type { Command, CommandResult, ContainerDef, ContainerView, HostFacts, LabContext, LabDefinition } from './format.js';
import { LabError, loadLab, locate } from './load.js';
import { EngineContainer, MissingImageError, RuntimeCli, runOutside } from '../container/index.js';
import { packageRoot } from '../oci/runtime-cli.js';
import { ENV } from '../env.js';
import { RuntimeTraceReader } from './runtime-trace.js';
import { noteContainer, writeOwner } from './gc.js';
import { runTask } from './tasks.js';
import { cliCommand, removeContainerCommand } from './lab-cli.js';
import { DEFAULT_PREFIX, writeRunStatus } from './status.js';
import { pollUntil, waitFor } from './wait.js';
import { memorySink, tracer } from '../tracer/tracer.js';
import { cgroupMode, cgroupOf } from '../runtime/cgroups/index.js';

/** A bind mount's source "$SCRATCH/…" is a host folder of this lab run (made here, removed with it). */
function withScratchMounts(def: ContainerDef, scratch: string): ContainerDef {
  const mounts = def.mounts?.map((m) => {
    if (!m.source?.startsWith('$SCRATCH/')) return m;
    const source = join(scratch, m.source.slice('$SCRATCH/'.length));
    mkdirSync(source, { recursive: true });
    return { ...m, source };
  });
  return mounts ? { ...def, mounts } : def;
}

export interface RunLabOptions {
  runtime: string;
  /** starts container ids, cgroups and scratch folders; tests use `tslabt…` */
  prefix?: string;
  sink?: LabSink;
  /** awaited before each step (an instructor's "press Enter") */
  beforeStep?: (index: number) => Promise<void>;
  /** awaited once before anything runs (no container exists yet): `--pause` waits here for step 1 */
  beforeStart?: () => Promise<void>;
  /** awaited after a step's commands, before its checks: the students predict, then see */
  beforeChecks?: (index: number) => Promise<void>;
  /** Ctrl-C: stop before the next command or check, then clean up as usual */
  signal?: AbortSignal;
  /** step through each container's create and start in the TUI (a terminal, our runtime) */
  stepping?: SteppingSession;
  /** who does a step's task: the student (a terminal) or its reference solution (default, tslab test) */
  tasks?: 'student' | 'solution';
  /** called when a task starts waiting for the student: its signal skips the task (Ctrl-C) */
  taskSkip?: () => AbortSignal;
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

/** A lab's container: its name and definition in the lab, and the engine's container. */
interface LiveContainer {
  name: string;
  def: ContainerDef;
  engine: EngineContainer;
  outputFile: string;
}

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
  const result = labResult(ref, options.runtime);
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
  const mode = cgroupMode();
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
  // ours runs in this process (no Node boot per create, start, delete, state); runc and crun as commands
  const runtime = new RuntimeCli(options.runtime, join(scratch, 'state'), { traceFile, env: process.env, inProcess: true });
  // the lab runner's own traced steps (overlay mounts, cgroup joins) land here too
  const own = memorySink();
  // direct: the runtime's events relayed below (for --trace and the TUI) must not come back through it
  const dropSink = tracer.addSink(own.sink, { direct: true });
  const previousStage = tracer.stage;
  tracer.stage = 'lab';
  const traceReader = new RuntimeTraceReader(traceFile);
  /** emits the runtime's trace events written since the last call */
  const flushTrace = (): void => {
    const events = traceReader.readNew();
    if (events.length) {
      result.trace.push(...events);
      for (const ev of events) tracer.relay(ev);
      emit({ type: 'trace', events });
    }
  };
  mkdirSync(runtime.root, { recursive: true });
  const live = new Map<string, LiveContainer>();
  const memo: Record<string, string> = {};

  const view = (name: string): ContainerView => {
    const c = live.get(name);
    if (!c) throw new Error(`no container "${name}" in this lab (it has: ${[...live.keys()].join(', ')})`);
    const { pid, id, overlay } = c.engine;
    if (!pid) throw new Error(`container "${name}" has not started`);
    return {
      name, id, pid, bundle: c.engine.request.bundle, rootfs: c.engine.rootfs, overlay,
      output: () => (existsSync(c.outputFile) ? readFileSync(c.outputFile, 'utf8') : ''),
      cgroup: cgroupOf(pid, { mode }),
      configuredCgroup: cgroupOf(pid, { mode, path: `/${id}` }),
    };
  };
  const hostEnv = (): Record<string, string> => {
    // the runtime's CLI and its state root, so a step can ask it (`"$RUNTIME" --root "$RUNTIME_ROOT" state "$ID_C"`)
    // this tslab's CLI (`"$TSLAB" image inspect busybox`) and the lab's folder (scripts beside it)
    const env: Record<string, string> = { RUNTIME: runtime.path, RUNTIME_ROOT: runtime.root, SCRATCH: scratch, TSLAB: join(packageRoot(), 'bin', 'tslab'), LAB_DIR: dirname(ref.file) };
    if (process.env[ENV.DATA_ROOT]) env[ENV.DATA_ROOT] = process.env[ENV.DATA_ROOT]!;
    for (const c of live.values()) {
      const key = c.name.toUpperCase();
      env[`ID_${key}`] = c.engine.id;
      const { pid, overlay } = c.engine;
      if (pid) env[`PID_${key}`] = String(pid);
      env[`ROOTFS_${key}`] = c.engine.rootfs;
      env[`BUNDLE_${key}`] = c.engine.request.bundle;
      if (overlay) {
        env[`UPPER_${key}`] = overlay.upper;
        env.LOWER = overlay.lower;
      }
    }
    return env;
  };
  const inside = (name: string, sh: string, o: { timeoutMs?: number } = {}): Promise<CommandResult> => {
    view(name); // says which container is missing or not started
    return live.get(name)!.engine.exec(sh, { timeoutMs: o.timeoutMs });
  };
  const outside = (sh: string, o: { timeoutMs?: number } = {}): Promise<CommandResult> =>
    runOutside(sh, { env: hostEnv(), timeoutMs: o.timeoutMs });
  const ctx: LabContext = {
    host, inside, outside, memo, expect, waitFor, pollUntil,
    cli: cliCommand, removeContainer: removeContainerCommand,
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
    await options.beforeStart?.();
    for (const [name, def] of Object.entries(lab.containers)) {
      stopIfAborted();
      const id = `${prefix}${ref.name}-${name}-${rand()}`;
      const outputFile = join(scratch, `${name}.output`);
      noteContainer(scratch, id);
      const engine = new EngineContainer({
        id, image: def.image, bundle: join(scratch, name), runtime, outputFile,
        spec: (rootfs, netMounts) => labSpec(withScratchMounts(def, scratch), { rootfs, cgroupsPath: `/${id}` }, netMounts),
        ...(onBridge(def) ? { network: { name: def.network!, ports: def.ports, hostname: def.hostname } } : {}),
        say: (line) => process.stderr.write(`${line}\n`),
      });
      live.set(name, { name, def, engine, outputFile });
      const createAndStart = async (attach?: RunAttachments): Promise<void> => {
        try {
          await engine.create(attach);
        } catch (err) {
          if (err instanceof MissingImageError) {
            throw new LabError(ref.id, lineOf(ref.file, new RegExp(`image:\\s*['"\`]${def.image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)),
              `container "${name}": ${err.message}`);
          }
          throw new Error(`container "${name}": ${(err as Error).message}`);
        }
        flushTrace();
        emit({ type: 'container', name, id, phase: 'created', pid: engine.pid });
        await engine.start(attach).catch((err: Error) => { throw new Error(`container "${name}": ${err.message}`); });
        flushTrace();
        emit({ type: 'container', name, id, phase: 'started', pid: engine.pid });
      };
      const session = options.stepping?.forLab(lab.keySteps);
      if (session) await session.phase(`container ${name}`, () => createAndStart(session.spawnOptions()));
      else await createAndStart();
      writeRunStatus(scratch, { lab: ref.id, title: lab.title, containers: [...live.values()].map((l) => ({ name: l.name, id: l.engine.id, pid: l.engine.pid ?? 0 })) });
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
      if (step.checks?.length) {
        stopIfAborted();
        await options.beforeChecks?.(index);
      }
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
      if (step.task) {
        stopIfAborted();
        const by = options.tasks ?? 'solution';
        const outcome = await runTask(step, step.task, ctx, {
          by, lab: ref.id, emit, inside: (n, sh) => inside(n, sh), outside: (sh) => outside(sh),
          ...(by === 'student' && options.taskSkip ? { skip: options.taskSkip() } : {}),
        });
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
      result.cleanupErrors.push(...await c.engine.remove());
      if (c.engine.created) emit({ type: 'container', name: c.name, id: c.engine.id, phase: 'deleted' });
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
