// The image module's public face: open the store, make sure an image is there (pulling it, or
// building busybox from the host when it cannot be pulled), and read what containers need.
// Pulling, pushing and garbage collection have their own modules (pull.ts, push.ts, gc.ts): a
// container start whose image is there never loads the registry client.
import { isLoopbackRegistry, formatReference, parseReference } from './reference.js';
import { ensureSnapshots, snapshotFs } from './snapshots.js';
import type { ResolvedImage } from './store.js';
import { openStore } from './open.js';
import { ENV } from '../env.js';

export { ImageStore, type ResolvedImage } from './store.js';
export { parseReference, normalizeReference, formatReference } from './reference.js';
export { snapshotFs } from './snapshots.js';
export { openStore, forgetStores } from './open.js';

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
        const { pullImage, pullProgress } = await import('./pull.js');
        await pullImage(store, input, { progress: pullProgress(options.quiet ?? false) });
      } catch (err) {
        pullError = err as Error;
      }
    }
    image = store.find(input);
    if (!image && isBusybox(name)) {
      const why = pullError ? `could not be pulled (${pullError.message})` : 'pulling is off';
      await (await import('./busybox.js')).buildBusyboxImage(store, name);
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
