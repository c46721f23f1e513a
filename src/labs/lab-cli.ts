// The engine's CLI for a lab's host steps: labs that teach the engine (`tslab container …`, `tslab image
// …`, `tslab network …`) drive the same tslab that runs them, as a student would type it.
import { join } from 'node:path';
import { packageRoot } from '../oci/runtime-cli.js';
import type { CliOptions } from './format.js';

/** `tslab` as the start of a host shell command: this node and this package's CLI, with a data root if given. */
export function cliCommand(options: CliOptions = {}): string {
  const root = options.dataRoot ? `TSLAB_DATA_ROOT="${options.dataRoot}" ` : '';
  return `${root}"${process.execPath}" "${join(packageRoot(), 'bin', 'tslab')}"`;
}

/**
 * A host shell command that removes the engine's container `name`, if there is one: kill it, wait
 * until its monitor has unmounted its root, then rm (an `rm -f` racing the monitor's own unmount fails
 * with EINVAL). A subshell, so it can stand in a longer script.
 */
export function removeContainerCommand(name: string, options: CliOptions = {}): string {
  const tslab = cliCommand(options);
  return `(id=$(${tslab} container inspect ${name} 2>/dev/null | sed -n 's/.*"Id": "\\(.*\\)".*/\\1/p'); ` +
    `[ -n "$id" ] || exit 0; ${tslab} container kill ${name} >/dev/null 2>&1; n=0; ` +
    'while grep -q "/containers/$id/rootfs " /proc/mounts && [ $n -lt 1500 ]; do sleep 0.02; n=$((n+1)); done; ' +
    `${tslab} container rm -f ${name})`;
}
