// The container module's public face, for labs, the TUI and tests: image + flags → a container
// record, an OCI bundle (config.json + mounted overlay rootfs), and its lifecycle.
import { buildOptions, type RunFlags } from './options.js';
import { createContainer, prepareBundle, removeContainer, dataRoot } from './lifecycle.js';
import { containerDir, type ContainerRecord } from './record.js';
import { rootfsPaths } from './rootfs.js';
import { join } from 'node:path';

export { buildSpec, resolveUser, capabilities, DOCKER_CAPABILITIES } from './bundle.js';
export {
  createContainer, createContainerFrom, type ContainerImage, prepareBundle, runForeground, startDetached, stopContainer, killContainer, removeContainer, setPaused,
  execInContainer, find as findContainer, refresh as refreshContainer,
} from './lifecycle.js';
export { listRecords, type ContainerRecord, type ContainerOptions } from './record.js';
export { diffUpper, mountRootfs, unmountRootfs, rootfsPaths } from './rootfs.js';
export { resolveRuntime, defaultRuntimePath, Runtime } from './runtime.js';
export { buildOptions, type RunFlags };

export interface Bundle {
  record: ContainerRecord;
  /** The bundle folder: hand it to any runtime as --bundle. */
  dir: string;
  configPath: string;
  rootfs: string;
  upper: string;
  /** Unmounts the rootfs and removes the container (named volumes stay). */
  remove(): void;
}

/**
 * Makes an OCI bundle from an image the way `tslab container create` + start would, without
 * running anything: the container shows in `tslab container ps -a` as created until removed.
 *   const b = await createBundle('busybox', ['sh', '-c', 'echo $$'], { network: 'none' });
 *   spawnSync('runc', ['run', '--bundle', b.dir, 'x']); b.remove();
 */
export async function createBundle(image: string, command: string[] = [], flags: RunFlags = {}): Promise<Bundle> {
  const record = await createContainer(image, command, flags);
  try {
    const dir = prepareBundle(record);
    const paths = rootfsPaths(dir);
    return {
      record, dir, configPath: join(dir, 'config.json'), rootfs: paths.rootfs, upper: paths.upper,
      remove: () => removeContainer(record, true),
    };
  } catch (err) {
    removeContainer(record, true);
    throw err;
  }
}

export function bundleDir(id: string): string {
  return containerDir(dataRoot(), id);
}
