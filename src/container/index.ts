// The container module's public face. Two ways in:
// - EngineContainer (engine.ts): a container at a folder its caller owns, from an image and a
//   config.json, driven through any runtime's CLI: create → start → kill/stop → remove, inspect.
//   The lab runner makes every lab container this way.
// - records (lifecycle.ts): `tslab container …`, image + docker flags → a named container in the
//   data root with a monitor, a log and a network.
import { buildOptions, type RunFlags } from './options.js';
import { createContainer, prepareBundle } from './create.js';
import { dataRoot } from './state.js';
import { removeContainer } from './verbs.js';
import { containerDir, type ContainerRecord } from './record.js';
import { rootfsPaths } from './rootfs.js';
import { join } from 'node:path';

export {
  EngineContainer, MissingImageError, imageLowerDirs, sweepContainers, type ContainerRequest, type ContainerInspect, type OverlayView,
} from './engine.js';
export { runOutside, type CommandResult } from './shell.js';
export { buildSpec, resolveUser, capabilities, DOCKER_CAPABILITIES } from './bundle.js';
export { createContainer, createContainerFrom, type ContainerImage, prepareBundle } from './create.js';
export { startDetached } from './monitor.js';
export { runForeground } from './foreground.js';
export { stopContainer, killContainer, removeContainer, setPaused, execInContainer } from './verbs.js';
export { find as findContainer, refresh as refreshContainer } from './state.js';
export { listRecords, type ContainerRecord, type ContainerOptions } from './record.js';
export { diffUpper, mountRootfs, unmountRootfs, rootfsPaths } from './rootfs.js';
export { resolveRuntime, defaultRuntimePath, RuntimeCli } from '../oci/runtime-cli.js';
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
