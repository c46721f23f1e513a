// Image + options → OCI bundle: config.json beside the mounted rootfs. This is the contract with
// the runtime (ours, runc or crun): everything a container is, is written here.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { defaultSpec, type Mount, type Spec } from '../oci/spec.js';
import type { ContainerOptions, ContainerRecord, MountRequest } from './record.js';
import { volumeDataDir } from './volumes.js';
import { defaultSeccompProfile } from './seccomp-default.js';
import { capNames } from '../runtime/sys/index.js';

/** Docker's default capability set. */
export const DOCKER_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** --privileged: every capability of ours (our bounding set: a host may have taken some from us too). */
function privilegedCapabilities(): string[] {
  const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return bounding ? capNames(BigInt(`0x${bounding}`)).filter((c) => ALL_CAPABILITIES.includes(c)) : [...ALL_CAPABILITIES];
}

export function capabilities(options: ContainerOptions): string[] {
  let caps = options.capDrop.includes('ALL') ? [] : DOCKER_CAPABILITIES.filter((c) => !options.capDrop.includes(c));
  if (options.capAdd.includes('ALL')) caps = [...ALL_CAPABILITIES];
  for (const c of options.capAdd) if (c !== 'ALL' && !caps.includes(c)) caps.push(c);
  for (const c of options.capAdd) {
    if (c !== 'ALL' && !ALL_CAPABILITIES.includes(c)) throw new UsageError(`--cap-add: unknown capability ${c}`);
  }
  return caps;
}

function lookup(file: string, key: string): string[] | undefined {
  if (!existsSync(file)) return undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === key) return f;
  }
  return undefined;
}

/** -u user[:group] → numeric ids, names looked up in the container's own /etc/passwd and /etc/group. */
export function resolveUser(rootfs: string, spec: string): { uid: number; gid: number } {
  if (!spec) return { uid: 0, gid: 0 };
  const [userPart, groupPart] = spec.split(':') as [string, string | undefined];
  let uid: number;
  let gid: number;
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const entry = readFileSync(join(rootfs, 'etc/passwd'), { encoding: 'utf8', flag: 'r' }).split('\n').map((l) => l.split(':')).find((f) => f[2] === userPart);
    gid = entry ? Number(entry[3]) : 0;
  } else {
    const entry = lookup(join(rootfs, 'etc/passwd'), userPart);
    if (!entry) throw new UsageError(`user "${userPart}" is not in the image's /etc/passwd: give a numeric uid (-u 1000) or a user the image has`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = lookup(join(rootfs, 'etc/group'), groupPart);
      if (!g) throw new UsageError(`group "${groupPart}" is not in the image's /etc/group: give a numeric gid`);
      gid = Number(g[2]);
    }
  }
  return { uid, gid };
}

function userSafe(rootfs: string, spec: string): { uid: number; gid: number } {
  try {
    return resolveUser(rootfs, spec);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (/^\d+(:\d+)?$/.test(spec)) {
      const [u, g] = spec.split(':');
      return { uid: Number(u), gid: Number(g ?? 0) };
    }
    throw new UsageError(`cannot resolve user "${spec}": the image has no readable /etc/passwd; give numeric ids`);
  }
}

/** Writes /etc/hostname, /etc/hosts and /etc/resolv.conf for the container; returns their bind mounts. */
function etcFiles(dir: string, hostname: string, network: string): Mount[] {
  const files = join(dir, 'etc');
  mkdirSync(files, { recursive: true });
  writeFileSync(join(files, 'hostname'), `${hostname}\n`);
  writeFileSync(join(files, 'hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`);
  let resolv = '';
  if (network === 'host') {
    try {
      resolv = readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      resolv = '';
    }
  }
  writeFileSync(join(files, 'resolv.conf'), resolv);
  return ['hostname', 'hosts', 'resolv.conf'].map((f) => ({
    destination: `/etc/${f}`, type: 'bind', source: join(files, f), options: ['rbind', 'rprivate'],
  }));
}

/** -v, --mount and --tmpfs requests as OCI mounts (a named volume's folder is made on first use). */
export function ociMounts(dataRoot: string, requests: MountRequest[]): Mount[] {
  return requests.map((m): Mount => {
    if (m.type === 'tmpfs') {
      return { destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.options ?? []), ...(m.readonly ? ['ro'] : [])] };
    }
    const source = m.type === 'volume' ? volumeDataDir(dataRoot, m.source!, true) : m.source!;
    return { destination: m.target, type: 'bind', source, options: ['rbind', 'rprivate', m.readonly ? 'ro' : 'rw'] };
  });
}

/**
 * Builds config.json for a container whose rootfs is mounted at <dir>/rootfs. netMounts: the
 * hosts/hostname/resolv.conf binds tslab networking wrote (bridge networks); without them the
 * container gets its own minimal files.
 */
export function buildSpec(dataRoot: string, dir: string, record: ContainerRecord, netMounts?: Mount[]): Spec {
  const o = record.options;
  const args = [...o.entrypoint, ...o.cmd];
  // a detached container has no terminal to give: its output goes to the log
  const terminal = o.tty && !o.detach;
  const spec = defaultSpec({ args, terminal });
  const hostname = o.hostname || record.id.slice(0, 12);
  const caps = o.privileged ? privilegedCapabilities() : capabilities(o);
  const user = userSafe(join(dir, 'rootfs'), o.user);
  spec.process = {
    ...spec.process!,
    terminal,
    user,
    args,
    env: [...o.env, `HOSTNAME=${hostname}`],
    cwd: o.cwd,
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    noNewPrivileges: false,
  };
  spec.root = { path: 'rootfs', readonly: o.readOnly };
  spec.hostname = hostname;
  const mounts: Mount[] = [...(spec.mounts ?? [])];
  mounts.push(...(netMounts ?? etcFiles(dir, hostname, o.network)));
  mounts.push(...ociMounts(dataRoot, o.mounts));
  spec.mounts = mounts;
  const linux = spec.linux!;
  linux.namespaces = (linux.namespaces ?? []).filter((n) => !(n.type === 'network' && o.network === 'host'));
  linux.cgroupsPath = `/tslab/${record.name}-${record.id.slice(0, 8)}`;
  const resources = linux.resources ?? {};
  if (o.memory !== undefined) resources.memory = { limit: o.memory };
  if (o.cpus !== undefined) resources.cpu = { quota: Math.round(o.cpus * 100_000), period: 100_000 };
  if (o.pidsLimit !== undefined && o.pidsLimit > 0) resources.pids = { limit: o.pidsLimit };
  linux.resources = resources;
  // docker's default profile unless told otherwise; --privileged: none, and nothing masked
  if (o.privileged) {
    linux.maskedPaths = [];
    linux.readonlyPaths = [];
  } else if (o.seccomp !== 'unconfined') {
    linux.seccomp = o.seccomp ?? defaultSeccompProfile(caps);
  }
  spec.annotations = { 'io.tslab.container.name': record.name, 'io.tslab.image': record.image };
  return spec;
}
