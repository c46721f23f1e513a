// The image module's public face: open the store, make sure an image is there (pulling it, or
// building busybox from the host when it cannot be pulled), and read what containers need.
import { loadConfig } from '../config/config.js';
import { UsageError } from '../errors.js';
import { buildBusyboxImage } from './busybox.js';
import { isLoopbackRegistry, formatReference, parseReference } from './reference.js';
import { pullImage, pullProgress } from './pull.js';
import { ensureSnapshots, snapshotFs } from './snapshots.js';
import { ImageStore, type ResolvedImage } from './store.js';
import { ENV } from '../env.js';

export { ImageStore, type ResolvedImage } from './store.js';
export { parseReference, normalizeReference, formatReference } from './reference.js';
export { pullImage } from './pull.js';
export { pushImage } from './push.js';
export { collectGarbage } from './gc.js';
export { snapshotFs } from './snapshots.js';

let stores = new Map<string, ImageStore>();

/** The store under the configured data root (TSLAB_DATA_ROOT wins). */
export function openStore(dataRoot = loadConfig().dataRoot): ImageStore {
  let store = stores.get(dataRoot);
  if (!store) {
    try {
      store = new ImageStore(dataRoot);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new UsageError(`cannot write the data root ${dataRoot} (${code}): run as root, or point TSLAB_DATA_ROOT or "dataRoot" in /etc/tslab/config.json at a folder you own`);
      }
      throw err;
    }
    stores.set(dataRoot, store);
  }
  return store;
}

/** For tests that remove a data root between cases. */
export function forgetStores(): void {
  stores = new Map();
}

export interface ReadyImage extends ResolvedImage {
  /** Chain IDs of its layers, bottom first. */
  chainIds: string[];
  /** Overlay lowerdirs, top layer first (the order overlayfs wants). */
  lowerDirs: string[];
}

export interface EnsureOptions {
  /** Pull when missing (default true; TSLAB_OFFLINE=1 allows only loopback registries). */
  pull?: boolean;
  quiet?: boolean;
  /** Where the one-line notes go (default stderr). */
  say?: (line: string) => void;
}

function isBusybox(name: string): boolean {
  return /^docker\.io\/library\/busybox:[^@]+$/.test(name);
}

/**
 * Makes sure `ref` is in the store with every layer unpacked, and returns it with its overlay
 * lowerdirs. When busybox is missing and cannot be pulled (no network, or TSLAB_OFFLINE=1), it
 * is built from the host's busybox-static and one line says so. Labs call this.
 */
export async function ensureImage(input: string, options: EnsureOptions = {}): Promise<ReadyImage> {
  const store = openStore();
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  let image = store.find(input);
  if (!image) {
    const ref = parseReference(input);
    const name = formatReference(ref);
    const offline = process.env[ENV.OFFLINE] === '1' && !isLoopbackRegistry(ref.registry);
    let pullError: Error | undefined;
    if (options.pull !== false && !offline) {
      try {
        if (!options.quiet) say(`pulling ${name}`);
        await pullImage(store, input, { progress: pullProgress(options.quiet ?? false) });
      } catch (err) {
        pullError = err as Error;
      }
    }
    image = store.find(input);
    if (!image && isBusybox(name)) {
      const why = pullError ? `could not be pulled (${pullError.message})` : 'pulling is off';
      await buildBusyboxImage(store, name);
      say(`tslab: ${name} is not in the store and ${why}; built it from the host's busybox-static instead`);
      image = store.find(input);
    }
    if (!image) {
      if (pullError) throw pullError;
      throw new Error(`image ${name} is not in the store and pulling is off: pull it with \`tslab image pull ${input}\``);
    }
  }
  const chainIds = await ensureSnapshots(store, image.manifest, image.config);
  return { ...image, chainIds, lowerDirs: [...chainIds].reverse().map((c) => snapshotFs(store, c)) };
}
