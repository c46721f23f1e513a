// Creating a container: the record (image + docker flags → options), then, when it starts, its
// bundle: the network first (its files are bind-mounted), the overlay rootfs and config.json.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/config.js';
import { ENV } from '../env.js';
import { ensureImage, openStore, type ResolvedImage } from '../image/index.js';
import { snapshotFs } from '../image/snapshots.js';
import type { FileMount } from '../net/index.js';
import type { Hook } from '../oci/spec.js';
import { buildSpec } from './bundle.js';
import { checkNetwork, prepareNetwork, releaseNetwork } from './network.js';
import { buildOptions, type RunFlags } from './options.js';
import { containerDir, newContainerId, randomName, saveRecord, validateName, type ContainerRecord } from './record.js';
import { mountRootfs, unmountRootfs } from './rootfs.js';
import { packageRoot, resolveRuntime } from '../oci/runtime-cli.js';
import { dataRoot } from './state.js';

/** Creates a container from an image (pulling or building it when needed). Nothing runs yet. */
export async function createContainer(imageRef: string, command: string[], flags: RunFlags): Promise<ContainerRecord> {
  if (flags.name !== undefined) validateName(dataRoot(), flags.name); // before a pull, not after
  const runtime = resolveRuntime(flags.runtime ?? loadConfig().runtime);
  const image = await ensureImage(imageRef);
  return createContainerFrom(image, imageRef, command, { ...flags, runtime });
}

/** What a container needs of its image: its config and its unpacked snapshots (chain IDs, bottom first). */
export type ContainerImage = Pick<ResolvedImage, 'names' | 'configDigest' | 'manifestDigest' | 'config'> & { chainIds: string[] };

/**
 * Creates a container from an image that need not be tagged: a build's step in between (its
 * layers are snapshots already). Nothing runs yet.
 */
export function createContainerFrom(image: ContainerImage, imageRef: string, command: string[], flags: RunFlags): ContainerRecord {
  const root = dataRoot();
  const name = flags.name ?? randomName(root);
  validateName(root, name);
  const runtime = resolveRuntime(flags.runtime ?? loadConfig().runtime);
  const options = buildOptions(flags, image.config, command);
  checkNetwork(options);
  const record: ContainerRecord = {
    id: newContainerId(),
    name,
    image: image.names[0] ?? imageRef,
    imageId: image.configDigest,
    manifestDigest: image.manifestDigest,
    chainIds: image.chainIds,
    created: new Date().toISOString(),
    runtime,
    options,
    state: { status: 'created' },
  };
  saveRecord(root, record);
  return record;
}

/** Mounts the rootfs and writes config.json; returns the bundle folder. */
export function prepareBundle(record: ContainerRecord, netMounts?: FileMount[], opts: { networkHook?: boolean } = {}): string {
  const root = dataRoot();
  const dir = containerDir(root, record.id);
  const store = openStore(root);
  const lowers = [...record.chainIds].reverse().map((c) => snapshotFs(store, c));
  for (const l of lowers) {
    if (!existsSync(l)) throw new Error(`snapshot ${l} of image ${record.image} is missing; pull the image again`);
  }
  mountRootfs(dir, lowers);
  try {
    const spec = buildSpec(root, dir, record, netMounts);
    if (opts.networkHook) spec.hooks = { ...spec.hooks, createRuntime: [...(spec.hooks?.createRuntime ?? []), networkHook(record)] };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  } catch (err) {
    unmountRootfs(dir);
    throw err;
  }
  return dir;
}

/**
 * For `run -t` (the runtime's one-step `run`, see runForeground): an OCI createRuntime hook — run
 * by the runtime after the namespaces exist, before the program starts — attaches the network, the
 * way docker's engine once did with libnetwork-setkey as a prestart hook.
 */
function networkHook(record: ContainerRecord): Hook {
  const env = [`PATH=${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, `${ENV.DATA_ROOT}=${dataRoot()}`];
  const config = process.env[ENV.CONFIG];
  if (config) env.push(`${ENV.CONFIG}=${config}`);
  return { path: process.execPath, args: [process.execPath, join(packageRoot(), 'bin', 'tslab'), 'container', 'network-hook', record.id], env, timeout: 30 };
}

/** The network first (its files are bind-mounted), then the overlay and config.json. */
export function prepareWithNetwork(record: ContainerRecord, opts: { networkHook?: boolean } = {}): string {
  const netMounts = prepareNetwork(record);
  try {
    return prepareBundle(record, netMounts, opts);
  } catch (err) {
    releaseNetwork(record.id);
    throw err;
  }
}
