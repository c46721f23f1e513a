// docker's run flags → ContainerOptions, with one clear error for each bad value.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { UsageError } from '../errors.js';
import { parseSize } from '../config/config.js';
import type { ImageConfig } from '../image/media.js';
import { parsePortSpec } from '../net/ports.js';
import type { ContainerOptions, MountRequest } from './record.js';
import { checkSeccompProfile, type SeccompProfile } from '../runtime/sys/seccomp.js';

export interface RunFlags {
  name?: string;
  rm?: boolean;
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  env?: string[];
  envFile?: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
  readOnly?: boolean;
  entrypoint?: string;
  capAdd?: string[];
  capDrop?: string[];
  network?: string;
  publish?: string[];
  networkAlias?: string[];
  runtime?: string;
  securityOpt?: string[];
  privileged?: boolean;
}

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parseEnvLine(line: string, where: string): string | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const eq = trimmed.indexOf('=');
  const key = eq < 0 ? trimmed : trimmed.slice(0, eq);
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new UsageError(`${where}: "${key}" is not a valid environment variable name`);
  if (eq >= 0) return trimmed.slice(0, eq) + trimmed.slice(eq);
  const host = process.env[key];
  return host === undefined ? undefined : `${key}=${host}`;
}

function mergeEnv(base: string[], extra: string[]): string[] {
  const map = new Map<string, string>();
  for (const e of [...base, ...extra]) {
    const eq = e.indexOf('=');
    map.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  return [...map.values()];
}

export function parseVolume(spec: string): MountRequest {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) {
    throw new UsageError(`invalid volume "${spec}": use NAME:/path, /host/path:/path or either with :ro`);
  }
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (!isAbsolute(target)) throw new UsageError(`invalid volume "${spec}": the container path "${target}" must be absolute`);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw new UsageError(`invalid volume "${spec}": the mode must be ro or rw, not "${mode}"`);
  if (source.startsWith('/')) {
    if (!existsSync(source)) throw new UsageError(`invalid volume "${spec}": the host path ${source} does not exist`);
    return { type: 'bind', source, target, readonly: mode === 'ro' };
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(source)) throw new UsageError(`invalid volume name "${source}": use letters, digits, _ . - (at least 2 characters)`);
  return { type: 'volume', source, target, readonly: mode === 'ro' };
}

export function parseMount(spec: string): MountRequest {
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    fields.set(key, eq < 0 ? 'true' : part.slice(eq + 1));
  }
  const type = fields.get('type') ?? 'volume';
  const source = fields.get('source') ?? fields.get('src');
  const target = fields.get('target') ?? fields.get('destination') ?? fields.get('dst');
  const readonly = ['true', '1'].includes(fields.get('readonly') ?? fields.get('ro') ?? 'false');
  if (!target || !isAbsolute(target)) throw new UsageError(`invalid --mount "${spec}": give target=/absolute/path`);
  switch (type) {
    case 'bind':
      if (!source || !isAbsolute(source)) throw new UsageError(`invalid --mount "${spec}": a bind needs source=/absolute/host/path`);
      if (!existsSync(source)) throw new UsageError(`invalid --mount "${spec}": the host path ${source} does not exist`);
      return { type, source, target, readonly };
    case 'volume':
      if (!source) throw new UsageError(`invalid --mount "${spec}": a volume needs source=NAME`);
      return parseVolume(`${source}:${target}${readonly ? ':ro' : ''}`);
    case 'tmpfs': {
      const options: string[] = [];
      const size = fields.get('tmpfs-size');
      if (size) {
        const bytes = parseSize(size);
        if (bytes === undefined) throw new UsageError(`invalid --mount "${spec}": tmpfs-size "${size}" is not a size`);
        options.push(`size=${bytes}`);
      }
      const mode = fields.get('tmpfs-mode');
      if (mode) options.push(`mode=${mode}`);
      return { type, target, readonly, options };
    }
    default:
      throw new UsageError(`invalid --mount "${spec}": type must be bind, volume or tmpfs, not "${type}"`);
  }
}

export function parseTmpfs(spec: string): MountRequest {
  const [target, opts] = spec.split(/:(.*)/s) as [string, string | undefined];
  if (!isAbsolute(target)) throw new UsageError(`invalid --tmpfs "${spec}": the path must be absolute`);
  return { type: 'tmpfs', target, options: opts ? opts.split(',') : [] };
}

const CAPS_RE = /^(CAP_)?[A-Z_]+$/;

function normaliseCaps(list: string[] | undefined, flag: string): string[] {
  return (list ?? []).flatMap((c) => c.split(',')).map((c) => {
    const up = c.trim().toUpperCase();
    if (up === 'ALL') return 'ALL';
    if (!CAPS_RE.test(up)) throw new UsageError(`${flag}: "${c}" is not a capability name (e.g. NET_ADMIN or CAP_NET_ADMIN)`);
    return up.startsWith('CAP_') ? up : `CAP_${up}`;
  });
}

/** --security-opt seccomp=unconfined|FILE (FILE: an OCI linux.seccomp object, read now as docker does). */
export function parseSecurityOpts(opts: string[] | undefined): SeccompProfile | 'unconfined' | undefined {
  let seccomp: SeccompProfile | 'unconfined' | undefined;
  for (const opt of opts ?? []) {
    const m = /^seccomp[=:](.+)$/.exec(opt);
    if (!m) throw new UsageError(`--security-opt "${opt}": tslab knows seccomp=unconfined and seccomp=FILE (no AppArmor, SELinux or no-new-privileges option)`);
    if (m[1] === 'unconfined') {
      seccomp = 'unconfined';
      continue;
    }
    let profile: SeccompProfile & { archMap?: Array<{ architecture: string; subArchitectures?: string[] }> };
    try {
      profile = JSON.parse(readFileSync(m[1]!, 'utf8')) as typeof profile;
    } catch (err) {
      throw new UsageError(`--security-opt seccomp=${m[1]}: cannot read it as JSON (${(err as Error).message})`);
    }
    if (typeof profile?.defaultAction !== 'string') throw new UsageError(`--security-opt seccomp=${m[1]}: a profile needs "defaultAction"`);
    if ((profile.syscalls ?? []).some((r) => 'includes' in r || 'excludes' in r)) {
      throw new UsageError(`--security-opt seccomp=${m[1]}: "includes"/"excludes" (a docker profile template) are not resolved: give the rules for this container`);
    }
    // docker's files name the architectures in archMap, OCI's in architectures
    if (!profile.architectures && profile.archMap) profile.architectures = profile.archMap.flatMap((a) => [a.architecture, ...(a.subArchitectures ?? [])]);
    delete profile.archMap;
    try {
      checkSeccompProfile(profile);
    } catch (err) {
      throw new UsageError(`--security-opt seccomp=${m[1]}: ${(err as Error).message.replace(/^config\.json: /, '')}`);
    }
    seccomp = profile;
  }
  return seccomp;
}

/** Combines the image's config with the flags and the command line, like `docker run` does. */
export function buildOptions(flags: RunFlags, image: ImageConfig, command: string[]): ContainerOptions {
  const cfg = image.config ?? {};
  const entrypoint = flags.entrypoint !== undefined ? (flags.entrypoint === '' ? [] : [flags.entrypoint]) : (cfg.Entrypoint ?? []);
  const cmd = command.length > 0 ? command : (flags.entrypoint !== undefined ? [] : (cfg.Cmd ?? []));
  if (entrypoint.length + cmd.length === 0) throw new UsageError('no command given and the image has neither Entrypoint nor Cmd: add a command after the image name');
  const fileEnv: string[] = [];
  for (const file of flags.envFile ?? []) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new UsageError(`--env-file ${file}: cannot read it`);
    }
    text.split('\n').forEach((line, i) => {
      const e = parseEnvLine(line, `${file}:${i + 1}`);
      if (e) fileEnv.push(e);
    });
  }
  const cliEnv = (flags.env ?? []).map((e) => parseEnvLine(e, '-e')).filter((e): e is string => e !== undefined);
  let env = mergeEnv(cfg.Env ?? [], [...fileEnv, ...cliEnv]);
  if (!env.some((e) => e.startsWith('PATH='))) env = [DEFAULT_PATH, ...env];
  if (flags.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  const network = flags.network ?? 'bridge';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(network)) throw new UsageError(`--network "${network}": use none, host, bridge or the name of a network (tslab network ls)`);
  const ports = flags.publish ?? [];
  for (const p of ports) {
    try {
      parsePortSpec(p);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  if (ports.length > 0 && (network === 'none' || network === 'host')) {
    throw new UsageError(`-p ${ports[0]}: publishing ports needs a bridge network; with --network ${network} there is nothing to forward to`);
  }
  const aliases = flags.networkAlias ?? [];
  for (const a of aliases) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,62})$/.test(a)) throw new UsageError(`--network-alias "${a}": use letters, digits, _ . - (at most 63)`);
  }
  if (aliases.length > 0 && (network === 'none' || network === 'host' || network === 'bridge')) {
    throw new UsageError('--network-alias works only on a user-defined network (tslab network create NAME; --network NAME), as in docker');
  }
  let memory: number | undefined;
  if (flags.memory !== undefined) {
    memory = parseSize(flags.memory);
    if (memory === undefined || memory < 6 * 1024 * 1024) throw new UsageError(`--memory "${flags.memory}": give a size of at least 6m, e.g. 64m or 1g`);
  }
  let cpus: number | undefined;
  if (flags.cpus !== undefined) {
    cpus = Number(flags.cpus);
    if (!Number.isFinite(cpus) || cpus <= 0) throw new UsageError(`--cpus "${flags.cpus}": give a positive number such as 0.5 or 2`);
  }
  let pidsLimit: number | undefined;
  if (flags.pidsLimit !== undefined) {
    pidsLimit = Number(flags.pidsLimit);
    if (!Number.isInteger(pidsLimit) || pidsLimit === 0 || pidsLimit < -1) throw new UsageError(`--pids-limit "${flags.pidsLimit}": give a positive whole number (or -1 for no limit)`);
  }
  const seccomp = parseSecurityOpts(flags.securityOpt);
  const cwd = flags.workdir ?? (cfg.WorkingDir || '/');
  if (!isAbsolute(cwd)) throw new UsageError(`--workdir "${cwd}" must be an absolute path`);
  const mounts = [
    ...(flags.volume ?? []).map(parseVolume),
    ...(flags.mount ?? []).map(parseMount),
    ...(flags.tmpfs ?? []).map(parseTmpfs),
  ];
  if (flags.hostname !== undefined && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/.test(flags.hostname)) {
    throw new UsageError(`--hostname "${flags.hostname}": use letters, digits, . and - (at most 63)`);
  }
  if (flags.detach && flags.rm === undefined) {
    // docker allows -d --rm; nothing to check
  }
  return {
    entrypoint,
    cmd,
    env,
    cwd,
    user: flags.user ?? cfg.User ?? '',
    hostname: flags.hostname ?? '',
    tty: flags.tty ?? false,
    stdin: flags.interactive ?? false,
    detach: flags.detach ?? false,
    autoRemove: flags.rm ?? false,
    network,
    ...(ports.length > 0 ? { ports } : {}),
    ...(aliases.length > 0 ? { aliases } : {}),
    readOnly: flags.readOnly ?? false,
    mounts,
    memory,
    cpus,
    pidsLimit,
    capAdd: normaliseCaps(flags.capAdd, '--cap-add'),
    capDrop: normaliseCaps(flags.capDrop, '--cap-drop'),
    ...(seccomp !== undefined ? { seccomp } : {}),
    ...(flags.privileged ? { privileged: true } : {}),
    stopSignal: cfg.StopSignal ?? 'SIGTERM',
  };
}
