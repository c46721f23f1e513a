// `tslab image build`: a Dockerfile's stages, step by step. A step that changes files is a
// container of the engine (src/container): RUN runs one through the configured runtime, COPY, ADD
// and WORKDIR mount one and write into its root; the container's upper directory becomes the
// step's layer (src/build/layer.ts). Every step ends as an image in the store (config + manifest
// blobs), which the build cache points at and the next step's container is made from.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { ensureImage, openStore } from '../image/index.js';
import { formatReference, parseReference } from '../image/reference.js';
import { snapshotFs } from '../image/snapshots.js';
import type { ImageStore } from '../image/store.js';
import {
  bundleDir, createContainerFrom, prepareBundle, removeContainer, resolveUser, rootfsPaths, runForeground, unmountRootfs,
  type ContainerRecord, type RunFlags,
} from '../container/index.js';
import { DockerfileError, fromParts, parseDockerfile, type Instruction } from './dockerfile.js';
import { word, words, type Vars } from './words.js';
import { IgnoreMatcher } from './ignore.js';
import { resolveSources, sourcesDigest, SourceError, type Source, type SourceRoot } from './context.js';
import { copyInto, mkdirInRoot, type CopyOptions } from './copy.js';
import { layerFromUpper, snapshotLayer, type Layer } from './layer.js';
import {
  addStep, asContainerImage, cloneImage, commitImage, descriptorOf, fromResolved, imageChainIds, runtimeConfig, scratchImage,
  type StageImage,
} from './image.js';
import * as cache from './cache.js';
import { layerDetail, type BuildProgress } from './progress.js';
import { applyConfig, envMap, shellForm } from './config.js';

export interface BuildRequest {
  context: string;
  /** Path of the Dockerfile (default CONTEXT/Dockerfile). */
  dockerfile?: string;
  tags: string[];
  buildArgs: Record<string, string>;
  noCache: boolean;
  target?: string;
  runtime?: string;
  /** RUN's network: host (default), none, or a tslab network. */
  network: string;
  progress: BuildProgress;
  /** Where RUN's output goes. */
  output: NodeJS.WritableStream;
}

export interface BuildResult {
  configDigest: string;
  manifestDigest: string;
  names: string[];
  steps: number;
  cached: number;
}

interface Stage {
  index: number;
  name?: string;
  from: Instruction;
  body: Instruction[];
}

function splitStages(instructions: Instruction[]): { globals: Instruction[]; stages: Stage[] } {
  const globals: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.name === 'FROM') {
      const { alias } = fromParts(ins);
      stages.push({ index: stages.length, ...(alias ? { name: alias.toLowerCase() } : {}), from: ins, body: [] });
    } else if (stages.length === 0) {
      globals.push(ins);
    } else {
      stages[stages.length - 1]!.body.push(ins);
    }
  }
  return { globals, stages };
}




function parseChown(rootfs: string, spec: string): { uid: number; gid: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(spec);
  // docker: a user without a group uses the same number as the group
  if (m) return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
  const { uid, gid } = resolveUser(rootfs, spec);
  return { uid, gid: spec.includes(':') ? gid : uid };
}

class Builder {
  private readonly store: ImageStore;
  private readonly file: string;
  private readonly context: string;
  private readonly ignore: IgnoreMatcher;
  private readonly usedArgs = new Set<string>();
  private readonly built = new Map<number, StageImage>();
  private stepNo = 0;
  private total = 0;
  private cachedSteps = 0;
  private aborted = false;

  constructor(private readonly req: BuildRequest, private readonly instructions: Instruction[], file: string) {
    this.store = openStore();
    this.file = file;
    this.context = resolve(req.context);
    this.ignore = IgnoreMatcher.forContext(this.context);
  }

  fail(ins: Instruction, message: string): never {
    throw new DockerfileError(this.file, ins.line, ins.name, message);
  }

  async run(): Promise<BuildResult> {
    const { globals, stages } = splitStages(this.instructions);
    const globalVars = new Map<string, string>();
    for (const g of globals) this.declareArg(g, globalVars, new Map());
    const target = this.targetStage(stages);
    const needed = this.neededStages(stages, target, globalVars);
    this.total = stages.filter((s) => needed.has(s.index)).reduce((n, s) => n + 1 + s.body.length, 0);
    const onSignal = (): void => {
      this.aborted = true;
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      for (const stage of stages) {
        if (!needed.has(stage.index)) continue;
        this.built.set(stage.index, await this.buildStage(stage, stages, globalVars));
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const unused = Object.keys(this.req.buildArgs).filter((k) => !this.usedArgs.has(k));
    if (unused.length) this.req.progress.note(`warning: build arguments not used by any ARG: ${unused.join(', ')}`);
    const image = this.built.get(target.index)!;
    return this.tag(image);
  }

  private targetStage(stages: Stage[]): Stage {
    if (!this.req.target) return stages[stages.length - 1]!;
    const t = stages.find((s) => s.name === this.req.target!.toLowerCase());
    if (!t) throw new UsageError(`--target ${this.req.target}: no stage of that name in ${this.file} (stages: ${stages.map((s) => s.name ?? `#${s.index}`).join(', ')})`);
    return t;
  }

  private stageRef(stages: Stage[], ref: string, before: number): Stage | undefined {
    const byName = stages.find((s) => s.name === ref.toLowerCase() && s.index < before);
    if (byName) return byName;
    if (/^\d+$/.test(ref) && Number(ref) < before) return stages[Number(ref)];
    return undefined;
  }

  /** The target and the stages it reaches through FROM and COPY --from, as buildkit builds them. */
  private neededStages(stages: Stage[], target: Stage, globalVars: Vars): Set<number> {
    const needed = new Set<number>();
    const visit = (s: Stage): void => {
      if (needed.has(s.index)) return;
      needed.add(s.index);
      const base = this.stageRef(stages, word(fromParts(s.from).image, globalVars), s.index);
      if (base) visit(base);
      for (const ins of s.body) {
        const from = ins.flags.from;
        if (ins.name === 'COPY' && from) {
          const dep = this.stageRef(stages, word(from, globalVars), s.index);
          if (dep) visit(dep);
          else if (stages.some((o) => o.name === from.toLowerCase())) this.fail(ins, `--from=${from} names a later stage: a stage can copy only from stages above it`);
        }
      }
    };
    visit(target);
    return needed;
  }

  private declareArg(ins: Instruction, scope: Map<string, string>, globals: Vars): void {
    for (const w of words(ins.rest, new Map())) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w : w.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) this.fail(ins, `"${name}" is not a valid argument name`);
      const given = this.req.buildArgs[name];
      if (given !== undefined) this.usedArgs.add(name);
      const dflt = eq < 0 ? globals.get(name) : word(w.slice(eq + 1), scope);
      const value = given ?? dflt;
      if (value !== undefined) scope.set(name, value);
      else scope.delete(name);
    }
  }

  private label(stage: Stage, ins: Instruction, index: number): string {
    const text = ins.original.replace(/\s+/g, ' ');
    return `[${stage.name ?? `stage-${stage.index}`} ${index}/${stage.body.length + 1}] ${text.length > 100 ? `${text.slice(0, 99)}…` : text}`;
  }

  private async buildStage(stage: Stage, stages: Stage[], globalVars: Vars): Promise<StageImage> {
    this.stepNo++;
    const fromStep = this.req.progress.step(this.label(stage, stage.from, 1));
    let image: StageImage;
    try {
      image = await this.from(stage, stages, globalVars);
      fromStep.done(image.base === 'scratch' ? '' : image.manifestDigest.slice(0, 19));
    } catch (err) {
      fromStep.failed();
      if (err instanceof DockerfileError) throw err;
      this.fail(stage.from, (err as Error).message);
    }
    const args = new Map<string, string>();
    for (let i = 0; i < stage.body.length; i++) {
      if (this.aborted) throw new UsageError('build interrupted');
      const ins = stage.body[i]!;
      this.stepNo++;
      const step = this.req.progress.step(this.label(stage, ins, i + 2));
      try {
        const next = await this.step(stage, stages, ins, image, args, () => step.output());
        if (next.cached) {
          this.cachedSteps++;
          step.cached();
        } else {
          step.done(next.layer === null ? '' : layerDetail(next.layer?.descriptor.digest, next.layer?.descriptor.size));
        }
        image = next.image;
      } catch (err) {
        step.failed();
        if (err instanceof DockerfileError || this.aborted) throw err;
        this.fail(ins, (err as Error).message);
      }
    }
    return image;
  }

  private async from(stage: Stage, stages: Stage[], globalVars: Vars): Promise<StageImage> {
    const ref = word(fromParts(stage.from).image, globalVars);
    if (ref === '') this.fail(stage.from, 'the image name is empty (an ARG without a value?)');
    const earlier = this.stageRef(stages, ref, stage.index);
    if (earlier) return cloneImage(this.built.get(earlier.index)!);
    if (ref.toLowerCase() === 'scratch') return scratchImage(this.store);
    const ready = await ensureImage(ref, { say: (l) => this.req.progress.note(l) });
    return fromResolved(ready, ready.names[0] ?? ref);
  }

  /** The variables instructions see: ARGs in scope, overridden by ENV. */
  private vars(image: StageImage, args: Map<string, string>): Vars {
    return new Map([...args, ...envMap(image)]);
  }

  private async step(
    stage: Stage, stages: Stage[], ins: Instruction, parent: StageImage, args: Map<string, string>, onOutput: () => void,
  ): Promise<{ image: StageImage; cached: boolean; layer?: Layer | null }> {
    const v = this.vars(parent, args);
    const expand = (s: string): string => {
      try {
        return word(s, v);
      } catch (err) {
        return this.fail(ins, (err as Error).message);
      }
    };
    const image = cloneImage(parent);
    const cfg = runtimeConfig(image);
    let createdBy = `/bin/sh -c #(nop) ${ins.original}`;
    // config-only steps: no layer
    const configStep = async (): Promise<{ image: StageImage; cached: boolean; layer: null }> => {
      const key = cache.cacheKey(parent.manifestDigest, createdBy);
      const hit = this.req.noCache ? undefined : await cache.lookup(this.store, key);
      if (hit) return { image: hit, cached: true, layer: null };
      addStep(image, createdBy);
      commitImage(this.store, image);
      cache.record(this.store, key, image);
      return { image, cached: false, layer: null };
    };
    switch (ins.name) {
      case 'ARG':
        this.declareArg(ins, args, new Map());
        createdBy = `ARG ${ins.rest}`;
        return configStep();
      case 'ENV':
      case 'LABEL':
      case 'MAINTAINER':
      case 'USER':
      case 'STOPSIGNAL':
      case 'EXPOSE':
      case 'VOLUME':
      case 'SHELL':
      case 'CMD':
      case 'ENTRYPOINT':
        try {
          createdBy = applyConfig(image, ins, v, this.cmdSet.has(stage.index)) ?? createdBy;
        } catch (err) {
          return this.fail(ins, (err as Error).message);
        }
        if (ins.name === 'CMD') this.cmdSet.add(stage.index);
        return configStep();
      case 'WORKDIR': {
        const dir = expand(ins.rest);
        const path = posix.resolve(cfg.WorkingDir || '/', dir);
        cfg.WorkingDir = path;
        createdBy = `/bin/sh -c #(nop) WORKDIR ${path}`;
        return this.fileStep(image, parent, createdBy, '', async (rootfs) => {
          mkdirInRoot(rootfs, path);
        });
      }
      case 'RUN':
        return this.runStep(image, parent, ins, args, onOutput);
      case 'COPY':
      case 'ADD':
        return this.copyStep(stages, stage, ins, image, parent, v);
      case 'FROM':
        return this.fail(ins, 'unexpected FROM');
    }
  }

  private readonly cmdSet = new Set<number>();

  private newName(): string {
    return `tslab-build-${randomBytes(5).toString('hex')}`;
  }

  /** Makes a container of `image` (nothing runs), mounts its root, lets `write` change it, takes its upper as a layer. */
  private async fileStep(
    image: StageImage, parent: StageImage, createdBy: string, contentDigest: string, write: (rootfs: string) => Promise<void>,
  ): Promise<{ image: StageImage; cached: boolean; layer: Layer | undefined }> {
    const key = cache.cacheKey(parent.manifestDigest, createdBy, contentDigest);
    const hit = this.req.noCache ? undefined : await cache.lookup(this.store, key);
    if (hit) return { image: hit, cached: true, layer: undefined };
    const layer = await this.withMounted(parent, async (record, rootfs) => {
      await write(rootfs);
      unmountRootfs(bundleDir(record.id));
      return this.takeLayer(record, parent);
    });
    addStep(image, createdBy, layer);
    commitImage(this.store, image);
    cache.record(this.store, key, image);
    return { image, cached: false, layer };
  }

  private async withMounted<T>(image: StageImage, fn: (record: ContainerRecord, rootfs: string) => Promise<T>): Promise<T> {
    const record = createContainerFrom(asContainerImage(image), image.base, ['true'], { name: this.newName(), network: 'none', user: '0', ...this.runtimeFlag() });
    try {
      const dir = prepareBundle(record);
      return await fn(record, rootfsPaths(dir).rootfs);
    } finally {
      removeContainer(record, true);
    }
  }

  private runtimeFlag(): Pick<RunFlags, 'runtime'> {
    return this.req.runtime ? { runtime: this.req.runtime } : {};
  }

  private async takeLayer(record: ContainerRecord, parent: StageImage): Promise<Layer | undefined> {
    const lowers = [...imageChainIds(parent)].reverse().map((c) => snapshotFs(this.store, c));
    const layer = await layerFromUpper(this.store, rootfsPaths(bundleDir(record.id)).upper, lowers);
    if (layer) await snapshotLayer(this.store, layer, parent.config.rootfs.diff_ids);
    return layer;
  }

  private async runStep(
    image: StageImage, parent: StageImage, ins: Instruction, args: Map<string, string>, onOutput: () => void,
  ): Promise<{ image: StageImage; cached: boolean; layer: Layer | undefined }> {
    const argv = shellForm(image.shell, ins);
    const env = envMap(image);
    const argEnv = [...args].filter(([k]) => !env.has(k)).sort(([a], [b]) => a.localeCompare(b)).map(([k, val]) => `${k}=${val}`);
    // docker's form: the build args a RUN saw are part of what it was, and of its cache key
    const createdBy = `${argEnv.length ? `|${argEnv.length} ${argEnv.join(' ')} ` : ''}${argv.join(' ')}`;
    const key = cache.cacheKey(parent.manifestDigest, `RUN ${JSON.stringify(argv)} ${argEnv.join('\0')}`);
    const hit = this.req.noCache ? undefined : await cache.lookup(this.store, key);
    if (hit) return { image: hit, cached: true, layer: undefined };
    const record = createContainerFrom(asContainerImage(parent), parent.base, argv, {
      name: this.newName(), entrypoint: '', network: this.req.network, env: argEnv, ...this.runtimeFlag(),
    });
    let layer: Layer | undefined;
    try {
      const out = this.req.output;
      let said = false;
      const tell = (chunk: Buffer | string): boolean => {
        if (!said) onOutput();
        said = true;
        return out.write(chunk);
      };
      const sink = { write: tell } as unknown as NodeJS.WritableStream;
      const code = await runForeground(record, { stdout: sink, stderr: sink });
      if (code !== 0) this.fail(ins, `the command ${JSON.stringify(argv)} exited with code ${code}${this.aborted ? ' (interrupted)' : ''}`);
      layer = await this.takeLayer(record, parent);
    } finally {
      removeContainer(record, true);
    }
    addStep(image, createdBy, layer);
    commitImage(this.store, image);
    cache.record(this.store, key, image);
    return { image, cached: false, layer };
  }

  private async copyStep(
    stages: Stage[], stage: Stage, ins: Instruction, image: StageImage, parent: StageImage, v: Vars,
  ): Promise<{ image: StageImage; cached: boolean; layer: Layer | undefined }> {
    let list: string[];
    try {
      list = ins.json ?? words(ins.rest, v);
    } catch (err) {
      return this.fail(ins, (err as Error).message);
    }
    const dest0 = list[list.length - 1]!;
    const sources = list.slice(0, -1);
    if (sources.some((s) => /^https?:\/\//.test(s))) {
      if (ins.name === 'COPY') this.fail(ins, 'COPY cannot fetch URLs: use ADD, or RUN wget');
      this.fail(ins, 'ADD of a URL is not supported by tslab build: download the file into the context, or RUN wget');
    }
    const cfg = runtimeConfig(image);
    const dest = isAbsolute(dest0) ? dest0 : `${posix.resolve(cfg.WorkingDir || '/', dest0)}${dest0.endsWith('/') ? '/' : ''}`;
    if (sources.length > 1 && !dest.endsWith('/')) this.fail(ins, `with several sources the destination must be a folder ending in / ("${dest0}/")`);
    const chown = ins.flags.chown ? word(ins.flags.chown, v) : undefined;
    let mode: number | undefined;
    if (ins.flags.chmod) {
      if (!/^[0-7]{3,4}$/.test(ins.flags.chmod)) this.fail(ins, `--chmod=${ins.flags.chmod}: give an octal mode such as 0755`);
      mode = parseInt(ins.flags.chmod, 8);
    }
    const from = ins.flags.from ? word(ins.flags.from, v) : undefined;
    const flagText = Object.entries(ins.flags).map(([k, val]) => `--${k}=${val}`).join(' ');
    const createdBy = `/bin/sh -c #(nop) ${ins.name} ${flagText ? `${flagText} ` : ''}${sources.join(' ')} ${dest}`;
    const copy = async (root: SourceRoot, rootfs: string): Promise<void> => {
      const found: Source[] = [];
      try {
        for (const s of sources) found.push(...resolveSources(root, s));
      } catch (err) {
        if (err instanceof SourceError) this.fail(ins, err.message);
        throw err;
      }
      const opts: CopyOptions = { ...(chown ? { owner: this.chownIn(ins, rootfs, chown) } : {}), ...(mode !== undefined ? { mode } : {}), unpackArchives: ins.name === 'ADD' };
      await copyInto(rootfs, root, found, dest, opts);
    };
    if (from) {
      const other = this.stageRef(stages, from, stage.index);
      const source = other ? this.built.get(other.index)! : await this.externalImage(ins, from);
      return this.fileStep(image, parent, createdBy, `from ${source.manifestDigest}`, (rootfs) =>
        this.withMounted(source, async (_r, sourceRoot) => copy({ dir: sourceRoot, kind: 'rootfs', label: `stage ${from}` }, rootfs)));
    }
    const root: SourceRoot = { dir: this.context, kind: 'context', ignore: this.ignore, label: 'the build context' };
    let digest: string;
    try {
      const found = sources.flatMap((s) => resolveSources(root, s));
      digest = sourcesDigest(root, found);
    } catch (err) {
      if (err instanceof SourceError) return this.fail(ins, err.message);
      throw err;
    }
    return this.fileStep(image, parent, createdBy, digest, (rootfs) => copy(root, rootfs));
  }

  private chownIn(ins: Instruction, rootfs: string, spec: string): { uid: number; gid: number } {
    try {
      return parseChown(rootfs, spec);
    } catch (err) {
      return this.fail(ins, `--chown=${spec}: ${(err as Error).message}`);
    }
  }

  private async externalImage(ins: Instruction, ref: string): Promise<StageImage> {
    try {
      const ready = await ensureImage(ref, { say: (l) => this.req.progress.note(l) });
      return fromResolved(ready, ready.names[0] ?? ref);
    } catch (err) {
      return this.fail(ins, `--from=${ref}: no stage of that name above, and the image cannot be had: ${(err as Error).message}`);
    }
  }

  private async tag(image: StageImage): Promise<BuildResult> {
    const names = this.req.tags.length > 0
      ? this.req.tags.map((t) => {
        const ref = parseReference(t);
        if (ref.digest) throw new UsageError(`-t ${t}: a tag cannot contain a digest`);
        return formatReference(ref);
      })
      : [`localhost/tslab-build:${image.configDigest.slice(7, 19)}`];
    this.req.progress.note(`writing image ${image.configDigest}`);
    for (const n of names) {
      await this.store.tag(n, descriptorOf(image));
      this.req.progress.note(`naming to ${n}`);
    }
    return { configDigest: image.configDigest, manifestDigest: image.manifestDigest, names, steps: this.total, cached: this.cachedSteps };
  }
}

/** Reads the Dockerfile, checks the context, builds. */
export async function buildImage(req: BuildRequest): Promise<BuildResult> {
  if (!existsSync(req.context) || !statSync(req.context).isDirectory()) throw new UsageError(`build context "${req.context}" is not a folder: give the folder with the files to COPY (often .)`);
  const file = req.dockerfile ?? join(req.context, 'Dockerfile');
  if (!existsSync(file)) throw new UsageError(`no Dockerfile at ${file}: give one with -f FILE`);
  const text = readFileSync(file, 'utf8');
  const shown = req.dockerfile ?? 'Dockerfile';
  for (const [k] of Object.entries(req.buildArgs)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new UsageError(`--build-arg ${k}: not a valid argument name`);
  }
  return new Builder(req, parseDockerfile(text, shown), shown).run();
}
