// Reading a bundle: config.json, validated, and the checks that refuse what tslab cannot honour.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Resources, Spec } from '../../oci/spec.js';
import { validateSpec, SpecError } from '../../oci/validate.js';
import { checkSeccompProfile, type SeccompProfile } from '../sys/seccomp.js';

export interface LoadedBundle {
  bundle: string;
  spec: Spec;
  rootfs: string;
}

export function loadBundle(bundleArg: string): LoadedBundle {
  const bundle = resolve(bundleArg);
  if (!existsSync(bundle) || !statSync(bundle).isDirectory()) {
    throw new Error(`bundle ${bundle} does not exist: pass --bundle DIR with a config.json and a rootfs`);
  }
  const configPath = resolve(bundle, 'config.json');
  if (!existsSync(configPath)) throw new Error(`no config.json in bundle ${bundle}: create one with \`tslab oci spec\``);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new Error(`config.json in ${bundle} is not valid JSON: ${(err as Error).message}`);
  }
  const spec = validateSpec(raw);
  refuseUnsupported(spec);
  const rootfs = isAbsolute(spec.root!.path) ? spec.root!.path : resolve(bundle, spec.root!.path);
  if (!existsSync(rootfs)) throw new SpecError('root.path', `${rootfs} does not exist: unpack a root filesystem there`);
  return { bundle, spec, rootfs };
}

/** Fields that weaken isolation if silently ignored: refuse them with a clear message. */
function refuseUnsupported(spec: Spec): void {
  if (!spec.process) throw new SpecError('process', 'is required to create a container (what should it run?)');
  if (!spec.process.args || spec.process.args.length === 0) throw new SpecError('process.args', 'must name the program to run');
  if (spec.linux?.seccomp) checkSeccompProfile(spec.linux.seccomp as SeccompProfile);
  const unsupported = unappliedLimits(spec.linux?.resources);
  if (unsupported.length > 0) {
    throw new SpecError(`linux.resources.${unsupported[0]}`, 'tslab does not apply this limit yet; remove it or use runc');
  }
  if (spec.process.apparmorProfile) {
    throw new SpecError('process.apparmorProfile', 'tslab cannot apply AppArmor profiles yet; remove the field or use runc');
  }
  if (spec.process.selinuxLabel || spec.linux?.mountLabel) {
    throw new SpecError('process.selinuxLabel', 'tslab cannot apply SELinux labels yet; remove the field or use runc');
  }
  const namespaces = spec.linux?.namespaces ?? [];
  if (!namespaces.some((n) => n.type === 'mount')) {
    throw new SpecError('linux.namespaces', 'tslab needs a mount namespace to build the container\'s filesystem: add {"type": "mount"}');
  }
  const user = namespaces.find((n) => n.type === 'user');
  if (user && !user.path && !(spec.linux?.uidMappings?.length && spec.linux?.gidMappings?.length)) {
    throw new SpecError('linux.uidMappings', 'a new user namespace needs uidMappings and gidMappings');
  }
}

const isSet = (v: unknown): boolean => typeof v === 'number' && v !== 0;
const hasItems = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

/**
 * The limits in `res` that tslab cannot apply (a limit silently not applied is a lie), as runc reads
 * them: a zero weight or class id and an empty device list mean unset (docker writes
 * `"blockIO": {"weight": 0}` into every config), so they are no limit at all.
 */
export function unappliedLimits(res: Resources | undefined): string[] {
  if (!res) return [];
  const found: string[] = [];
  const blockIO = (res.blockIO ?? {}) as Record<string, unknown>;
  for (const key of ['weight', 'leafWeight']) if (isSet(blockIO[key])) found.push(`blockIO.${key}`);
  for (const key of ['weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice']) {
    if (hasItems(blockIO[key])) found.push(`blockIO.${key}`);
  }
  if (hasItems(res.hugepageLimits)) found.push('hugepageLimits');
  const network = (res.network ?? {}) as Record<string, unknown>;
  if (isSet(network.classID)) found.push('network.classID');
  if (hasItems(network.priorities)) found.push('network.priorities');
  return found;
}
