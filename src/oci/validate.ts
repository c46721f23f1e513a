// Validates a parsed config.json. Each problem names the field (as a JSON path) and what to do.
import type { Spec } from './spec.js';
import { MOUNT_EXTRA_OPTIONS, MOUNT_FLAG_OPTIONS, NAMESPACE_TYPES, RLIMIT_TYPES, isCapability, isNamespaceType, isRlimitType } from './vocabulary.js';

export class SpecError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`config.json: ${field}: ${message}`);
    this.name = 'SpecError';
    this.field = field;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function expectStringArray(value: unknown, field: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) {
    throw new SpecError(field, 'must be an array of strings');
  }
}

function expectIdMappings(value: unknown, field: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new SpecError(field, 'must be an array of {containerID, hostID, size}');
  value.forEach((m, i) => {
    if (!isObject(m) || !isUint(m.containerID) || !isUint(m.hostID) || !isUint(m.size) || m.size === 0) {
      throw new SpecError(`${field}[${i}]`, 'must be {containerID, hostID, size} with non-negative integers and size > 0');
    }
  });
}

/** Throws a SpecError naming the first bad field; returns the spec typed. */
export function validateSpec(raw: unknown): Spec {
  if (!isObject(raw)) throw new SpecError('(root)', 'must be a JSON object');
  if (typeof raw.ociVersion !== 'string') throw new SpecError('ociVersion', 'is required and must be a string such as "1.2.0"');
  if (!/^1\.\d+\.\d+/.test(raw.ociVersion)) throw new SpecError('ociVersion', `"${raw.ociVersion}" is not a 1.x version this runtime implements`);
  const root = raw.root;
  if (!isObject(root) || typeof root.path !== 'string' || root.path === '') {
    throw new SpecError('root.path', 'is required: the path of the container\'s root filesystem (relative to the bundle)');
  }
  if (root.readonly !== undefined && typeof root.readonly !== 'boolean') throw new SpecError('root.readonly', 'must be a boolean');
  if (raw.hostname !== undefined && typeof raw.hostname !== 'string') throw new SpecError('hostname', 'must be a string');
  const proc = raw.process;
  if (proc !== undefined) {
    if (!isObject(proc)) throw new SpecError('process', 'must be an object');
    if (proc.args !== undefined) {
      expectStringArray(proc.args, 'process.args');
      if ((proc.args as string[]).length === 0) throw new SpecError('process.args', 'must name the program to run');
    }
    expectStringArray(proc.env, 'process.env');
    if (typeof proc.cwd !== 'string' || !proc.cwd.startsWith('/')) {
      throw new SpecError('process.cwd', 'is required and must be an absolute path');
    }
    const user = proc.user;
    if (!isObject(user) || !isUint(user.uid) || !isUint(user.gid)) {
      throw new SpecError('process.user', 'must be {uid, gid} with non-negative integers');
    }
    if (user.additionalGids !== undefined && (!Array.isArray(user.additionalGids) || !user.additionalGids.every(isUint))) {
      throw new SpecError('process.user.additionalGids', 'must be an array of non-negative integers');
    }
    if (proc.capabilities !== undefined) {
      if (!isObject(proc.capabilities)) throw new SpecError('process.capabilities', 'must be an object');
      for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']) {
        const list = proc.capabilities[set];
        expectStringArray(list, `process.capabilities.${set}`);
        for (const cap of (list as string[] | undefined) ?? []) {
          if (!isCapability(cap)) {
            throw new SpecError(`process.capabilities.${set}`, `unknown capability "${cap}" (names look like CAP_NET_ADMIN)`);
          }
        }
      }
    }
    if (proc.rlimits !== undefined) {
      if (!Array.isArray(proc.rlimits)) throw new SpecError('process.rlimits', 'must be an array');
      proc.rlimits.forEach((r, i) => {
        if (!isObject(r) || typeof r.type !== 'string' || !isRlimitType(r.type)) {
          throw new SpecError(`process.rlimits[${i}].type`, `must be one of ${RLIMIT_TYPES.join(', ')}`);
        }
        if (!isUint(r.hard) || !isUint(r.soft)) throw new SpecError(`process.rlimits[${i}]`, 'hard and soft must be non-negative integers');
        if (r.soft > r.hard) throw new SpecError(`process.rlimits[${i}]`, 'soft must not exceed hard');
      });
    }
    if (proc.oomScoreAdj !== undefined && (typeof proc.oomScoreAdj !== 'number' || proc.oomScoreAdj < -1000 || proc.oomScoreAdj > 1000)) {
      throw new SpecError('process.oomScoreAdj', 'must be a number from -1000 to 1000');
    }
  }
  if (raw.mounts !== undefined) {
    if (!Array.isArray(raw.mounts)) throw new SpecError('mounts', 'must be an array');
    raw.mounts.forEach((m, i) => {
      if (!isObject(m) || typeof m.destination !== 'string' || !m.destination.startsWith('/')) {
        throw new SpecError(`mounts[${i}].destination`, 'must be an absolute path inside the container');
      }
      expectStringArray(m.options, `mounts[${i}].options`);
      const opts = (m.options as string[] | undefined) ?? [];
      const isBind = m.type === 'bind' || opts.includes('bind') || opts.includes('rbind');
      if (isBind && typeof m.source !== 'string') throw new SpecError(`mounts[${i}].source`, 'a bind mount needs a source path');
      for (const o of opts) {
        if (![...MOUNT_FLAG_OPTIONS, ...MOUNT_EXTRA_OPTIONS].includes(o as never) && !o.includes('=')) {
          // data options such as mode=755 are passed to the filesystem; bare unknown words are kept as data too
        }
      }
    });
  }
  const linux = raw.linux;
  if (linux !== undefined) {
    if (!isObject(linux)) throw new SpecError('linux', 'must be an object');
    if (linux.namespaces !== undefined) {
      if (!Array.isArray(linux.namespaces)) throw new SpecError('linux.namespaces', 'must be an array');
      const seen = new Set<string>();
      linux.namespaces.forEach((ns, i) => {
        if (!isObject(ns) || typeof ns.type !== 'string') throw new SpecError(`linux.namespaces[${i}].type`, 'is required');
        if (!isNamespaceType(ns.type)) {
          throw new SpecError(`linux.namespaces[${i}].type`,
            `unknown namespace type "${ns.type}" (one of ${NAMESPACE_TYPES.join(', ')})`);
        }
        if (seen.has(ns.type)) throw new SpecError(`linux.namespaces[${i}].type`, `namespace "${ns.type}" is listed twice`);
        seen.add(ns.type);
        if (ns.path !== undefined && typeof ns.path !== 'string') throw new SpecError(`linux.namespaces[${i}].path`, 'must be a string');
      });
    }
    expectIdMappings(linux.uidMappings, 'linux.uidMappings');
    expectIdMappings(linux.gidMappings, 'linux.gidMappings');
    expectStringArray(linux.maskedPaths, 'linux.maskedPaths');
    expectStringArray(linux.readonlyPaths, 'linux.readonlyPaths');
    if (linux.cgroupsPath !== undefined && typeof linux.cgroupsPath !== 'string') throw new SpecError('linux.cgroupsPath', 'must be a string');
    if (linux.sysctl !== undefined && !isObject(linux.sysctl)) throw new SpecError('linux.sysctl', 'must be an object of strings');
    const res = linux.resources;
    if (res !== undefined) {
      if (!isObject(res)) throw new SpecError('linux.resources', 'must be an object');
      const mem = res.memory;
      if (mem !== undefined) {
        if (!isObject(mem)) throw new SpecError('linux.resources.memory', 'must be an object');
        for (const k of ['limit', 'reservation', 'swap']) {
          const v = mem[k];
          if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || (v < 0 && v !== -1))) {
            throw new SpecError(`linux.resources.memory.${k}`, 'must be a number of bytes (or -1 for unlimited)');
          }
        }
      }
      const pids = res.pids;
      if (pids !== undefined && (!isObject(pids) || typeof pids.limit !== 'number')) {
        throw new SpecError('linux.resources.pids.limit', 'must be a number (0 or -1 for unlimited)');
      }
      const cpu = res.cpu;
      if (cpu !== undefined) {
        if (!isObject(cpu)) throw new SpecError('linux.resources.cpu', 'must be an object');
        for (const k of ['shares', 'quota', 'period']) {
          if (cpu[k] !== undefined && typeof cpu[k] !== 'number') throw new SpecError(`linux.resources.cpu.${k}`, 'must be a number');
        }
        for (const k of ['cpus', 'mems']) {
          if (cpu[k] !== undefined && (typeof cpu[k] !== 'string' || !/^[0-9,\-]*$/.test(cpu[k] as string))) {
            throw new SpecError(`linux.resources.cpu.${k}`, 'must be a list such as "0-1,3"');
          }
        }
      }
    }
    if (linux.rootfsPropagation !== undefined) {
      const ok = ['shared', 'slave', 'private', 'unbindable', 'rshared', 'rslave', 'rprivate', 'runbindable'];
      if (typeof linux.rootfsPropagation !== 'string' || !ok.includes(linux.rootfsPropagation)) {
        throw new SpecError('linux.rootfsPropagation', `must be one of ${ok.join(', ')}`);
      }
    }
  }
  if (raw.hooks !== undefined) {
    if (!isObject(raw.hooks)) throw new SpecError('hooks', 'must be an object');
    for (const [kind, list] of Object.entries(raw.hooks)) {
      if (!Array.isArray(list)) throw new SpecError(`hooks.${kind}`, 'must be an array');
      list.forEach((h, i) => {
        if (!isObject(h) || typeof h.path !== 'string' || !h.path.startsWith('/')) {
          throw new SpecError(`hooks.${kind}[${i}].path`, 'must be an absolute path');
        }
      });
    }
  }
  return raw as Spec;
}
