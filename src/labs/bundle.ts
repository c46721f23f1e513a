// config.json for a lab container: runc's default spec with the lab's changes applied.
import { loadConfig } from '../config/config.js';
import { ociMounts } from '../container/bundle.js';
import { parseTmpfs, parseVolume } from '../container/options.js';
import { UsageError } from '../errors.js';
import { defaultSpec, type Mount, type Namespace, type Spec } from '../oci/spec.js';
import type { ContainerDef } from './format.js';

export const DEFAULT_ARGS = ['sleep', '1000000'];
export const LAB_OCI_VERSION = '1.0.2';

export interface BundlePlan {
  rootfs: string;
  cgroupsPath: string;
}

/** none and host stay in the spec; any other network is the engine's to attach (a veth pair, an address). */
export function onBridge(def: ContainerDef): boolean {
  return def.network !== undefined && def.network !== 'none' && def.network !== 'host';
}

export function labSpec(def: ContainerDef, plan: BundlePlan, netMounts: Mount[] = []): Spec {
  const spec = defaultSpec({ args: def.args ?? DEFAULT_ARGS, terminal: false });
  // every field labs use exists in runtime-spec 1.0.2, and older runtimes (crun 1.8) refuse 1.2.0
  spec.ociVersion = LAB_OCI_VERSION;
  const process = spec.process!;
  const linux = spec.linux!;
  spec.root = { path: plan.rootfs, readonly: def.readonly ?? (def.rootfs !== 'overlay') };
  linux.cgroupsPath = plan.cgroupsPath;
  if (def.env) process.env = [...process.env!, ...def.env];
  if (def.user) process.user = { uid: def.user.uid, gid: def.user.gid };
  if (def.capabilities) {
    const caps = [...def.capabilities];
    process.capabilities = { bounding: caps, effective: caps, permitted: caps, ambient: caps };
  }
  if (def.noNewPrivileges !== undefined) process.noNewPrivileges = def.noNewPrivileges;
  if (def.namespaces) linux.namespaces = def.namespaces.map((type): Namespace => ({ type }));
  if (def.network === 'host') linux.namespaces = linux.namespaces!.filter((n) => n.type !== 'network');
  const has = (type: string): boolean => linux.namespaces!.some((n) => n.type === type);
  if (def.hostname !== undefined) spec.hostname = def.hostname;
  if (def.domainname !== undefined) spec.domainname = def.domainname;
  if (!has('uts')) delete spec.hostname;
  if (def.idMap) {
    if (!has('user')) linux.namespaces!.push({ type: 'user' });
    linux.uidMappings = [{ containerID: 0, hostID: def.idMap.hostId, size: def.idMap.size }];
    linux.gidMappings = [{ containerID: 0, hostID: def.idMap.hostId, size: def.idMap.size }];
  }
  if (def.mounts) spec.mounts = [...spec.mounts!, ...def.mounts];
  // volumes and tmpfs mean what they mean to `tslab container run` (the same parser and mounts)
  const requests = [...(def.volumes ?? []).map(parseVolume), ...(def.tmpfs ?? []).map(parseTmpfs)];
  if (requests.length > 0) spec.mounts = [...spec.mounts!, ...ociMounts(loadConfig().dataRoot, requests)];
  spec.mounts = [...spec.mounts!, ...netMounts];
  if (def.ports?.length && !onBridge(def)) {
    throw new UsageError(`ports ${def.ports.join(', ')}: publishing ports needs network: 'bridge' (or a network's name), not ${def.network ?? 'none'}`);
  }
  if (def.maskedPaths) linux.maskedPaths = [...def.maskedPaths];
  if (def.readonlyPaths) linux.readonlyPaths = [...def.readonlyPaths];
  const limits = def.limits;
  if (limits) {
    const resources = linux.resources ?? {};
    if (limits.memoryBytes !== undefined) resources.memory = { limit: limits.memoryBytes };
    if (limits.pids !== undefined) resources.pids = { limit: limits.pids };
    if (limits.cpuQuotaUs !== undefined || limits.cpus !== undefined) {
      resources.cpu = {};
      if (limits.cpuQuotaUs !== undefined) {
        resources.cpu.quota = limits.cpuQuotaUs;
        resources.cpu.period = limits.cpuPeriodUs ?? 100_000;
      }
      if (limits.cpus !== undefined) resources.cpu.cpus = limits.cpus;
    }
    linux.resources = resources;
  }
  def.editSpec?.(spec);
  return spec;
}
