// A container's --network mode → tslab networking (src/net, docs/networking.md): what to prepare
// before the runtime's create, what to do with the created init's pid before start, what to
// release afterwards (the gc of what kill -9 and reboots left behind: network-gc.ts).
import { UsageError } from '../errors.js';
import {
  attachContainer, containerNetwork, detachContainer, findNetwork, loadSettings, prepareContainer,
  setupLoopbackOnly, type FileMount,
} from '../net/index.js';
import { type ContainerOptions, type ContainerRecord } from './record.js';

/** bridge and user-defined networks get a veth pair and an address; none and host do not. */
export function onBridge(o: ContainerOptions): boolean {
  return o.network !== 'none' && o.network !== 'host';
}

/** At create: a user-defined network must exist (the default one always does). */
export function checkNetwork(o: ContainerOptions): void {
  if (!onBridge(o) || o.network === 'bridge') return;
  if (!findNetwork(loadSettings(), o.network)) {
    throw new UsageError(`--network ${o.network}: no such network (tslab network ls; create it with tslab network create ${o.network})`);
  }
}

/**
 * Before create: leases the address and writes hosts/hostname/resolv.conf; returns their bind
 * mounts for config.json (undefined for none/host: the bundle writes its own files then).
 */
export function prepareNetwork(record: ContainerRecord): FileMount[] | undefined {
  const o = record.options;
  if (!onBridge(o)) return undefined;
  // a run that ended without its release (the monitor was killed) must not hold the old lease
  releaseNetwork(record.id);
  return prepareContainer({
    id: record.id, network: o.network, name: record.name, hostname: o.hostname || record.id.slice(0, 12),
    ports: o.ports ?? [], ...(o.aliases ? { aliases: o.aliases } : {}),
  }).mounts;
}

/** After create, before start: the created init's netns gets lo (none) or eth0 on its bridge. */
export function attachNetwork(record: ContainerRecord, pid: number): void {
  const o = record.options;
  if (o.network === 'none') setupLoopbackOnly(pid);
  else if (onBridge(o)) attachContainer({ id: record.id, pid });
}

/** Veth, rules, lease and files of the container go; nothing to do for none/host. Idempotent. */
export function releaseNetwork(id: string): void {
  if (containerNetwork(id)) detachContainer(id);
}
