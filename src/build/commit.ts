// `tslab container commit`: the container's upper directory as one more layer on its image (the
// same differ as a build's steps), the container's command, environment, user and working folder
// as the new image's config, and --change instructions (CMD, ENV, …) applied on top. A running
// container is frozen while its upper directory is read, as docker does.
import { UsageError } from '../errors.js';
import { openStore } from '../image/index.js';
import { formatReference, parseReference } from '../image/reference.js';
import { snapshotFs } from '../image/snapshots.js';
import type { ImageConfig, Manifest } from '../image/media.js';
import { bundleDir, refreshContainer, rootfsPaths, setPaused, type ContainerRecord } from '../container/index.js';
import { parseDockerfile } from './dockerfile.js';
import { applyConfig, CONFIG_INSTRUCTIONS, envMap } from './config.js';
import { addStep, commitImage, DEFAULT_SHELL, descriptorOf, runtimeConfig, type StageImage } from './image.js';
import { layerFromUpper, snapshotLayer } from './layer.js';

export interface CommitOptions {
  changes: string[];
  message?: string;
  author?: string;
  /** Freeze a running container while its changes are read (default true). */
  pause: boolean;
}

export async function commitContainer(record: ContainerRecord, name: string | undefined, opts: CommitOptions): Promise<{ configDigest: string; name: string }> {
  const store = openStore();
  const manifest = store.readJson<Manifest>(record.manifestDigest);
  const config = JSON.parse(JSON.stringify(store.readJson<ImageConfig>(record.imageId))) as ImageConfig;
  const image: StageImage = {
    base: record.image, layers: [...manifest.layers], config, shell: DEFAULT_SHELL, manifestDigest: '', configDigest: '', manifestSize: 0,
  };
  const cfg = runtimeConfig(image);
  const o = record.options;
  Object.assign(cfg, { Cmd: o.cmd, Entrypoint: o.entrypoint.length ? o.entrypoint : null, Env: o.env, WorkingDir: o.cwd, User: o.user });
  for (const change of opts.changes) {
    const ins = parseDockerfile(`FROM scratch\n${change}`, '--change')[1];
    if (!ins || !CONFIG_INSTRUCTIONS.has(ins.name)) throw new UsageError(`--change "${change}": give one of ${[...CONFIG_INSTRUCTIONS].join(', ')}, e.g. --change 'CMD ["sh"]'`);
    try {
      applyConfig(image, ins, envMap(image), true);
    } catch (err) {
      throw new UsageError(`--change "${change}": ${(err as Error).message}`);
    }
  }
  if (opts.author) config.author = opts.author;
  const running = refreshContainer(record).state.status === 'running';
  if (running && opts.pause) await setPaused(record, true);
  let layer;
  try {
    const lowers = [...record.chainIds].reverse().map((c) => snapshotFs(store, c));
    layer = await layerFromUpper(store, rootfsPaths(bundleDir(record.id)).upper, lowers);
  } finally {
    if (running && opts.pause) await setPaused(record, false);
  }
  if (layer) await snapshotLayer(store, layer, config.rootfs.diff_ids);
  addStep(image, `tslab container commit ${record.name}`, layer);
  if (opts.message) image.config.history![image.config.history!.length - 1]!.comment = opts.message;
  commitImage(store, image);
  // an image nobody names would be garbage: it gets a name that says where it came from
  const ref = parseReference(name ?? `localhost/tslab-commit:${image.configDigest.slice(7, 19)}`);
  if (ref.digest) throw new UsageError(`"${name ?? ''}": a name to commit to cannot contain a digest`);
  const normal = formatReference(ref);
  await store.tag(normal, descriptorOf(image));
  return { configDigest: image.configDigest, name: normal };
}
