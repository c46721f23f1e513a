// Containers on disk: <dataRoot>/containers/<id>/container.json plus the bundle (config.json,
// rootfs/ mount point), the overlay's upper/ and work/, the log and the exit file the shim writes.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../write-atomic.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'exited';

export interface MountRequest {
  type: 'bind' | 'volume' | 'tmpfs';
  source?: string;
  target: string;
  readonly?: boolean;
  options?: string[];
}

export interface ContainerOptions {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  cwd: string;
  user: string;
  hostname: string;
  tty: boolean;
  stdin: boolean;
  detach: boolean;
  autoRemove: boolean;
  /** none, host, bridge (the default network) or the name of a user-defined network */
  network: string;
  /** -p specs as given, validated: [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp] */
  ports?: string[];
  /** --network-alias: more names peers on a user-defined network resolve to this container */
  aliases?: string[];
  readOnly: boolean;
  mounts: MountRequest[];
  memory?: number;
  cpus?: number;
  pidsLimit?: number;
  capAdd: string[];
  capDrop: string[];
  /** --security-opt seccomp=…: a profile read from FILE, or none at all; absent: docker's default */
  seccomp?: import('../runtime/sys/seccomp.js').SeccompProfile | 'unconfined';
  /** --privileged: every capability, no seccomp filter, no masked or read-only paths */
  privileged?: boolean;
  stopSignal: string;
}

export interface ContainerRecord {
  id: string;
  name: string;
  /** The image as the user named it, normalised. */
  image: string;
  imageId: string;
  manifestDigest: string;
  chainIds: string[];
  created: string;
  runtime: string;
  options: ContainerOptions;
  state: {
    status: ContainerStatus;
    /** The container's init as the host sees it. */
    pid?: number;
    /** The process that waits for the runtime (the shim, or the foreground CLI). */
    monitorPid?: number;
    exitCode?: number;
    startedAt?: string;
    finishedAt?: string;
    error?: string;
  };
}

export function containersDir(dataRoot: string): string {
  return join(dataRoot, 'containers');
}

export function containerDir(dataRoot: string, id: string): string {
  return join(containersDir(dataRoot), id);
}

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

export function saveRecord(dataRoot: string, record: ContainerRecord): void {
  const dir = containerDir(dataRoot, record.id);
  mkdirSync(dir, { recursive: true, mode: 0o710 });
  const path = join(dir, 'container.json');
  writeFileAtomic(path, JSON.stringify(record, null, 2));
}

export function readRecord(dataRoot: string, id: string): ContainerRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(containerDir(dataRoot, id), 'container.json'), 'utf8')) as ContainerRecord;
  } catch {
    return undefined;
  }
}

export function listRecords(dataRoot: string): ContainerRecord[] {
  const dir = containersDir(dataRoot);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((id) => readRecord(dataRoot, id))
    .filter((r): r is ContainerRecord => r !== undefined)
    .sort((a, b) => b.created.localeCompare(a.created));
}

/** By exact name, full ID or unique ID prefix, as docker resolves them. */
export function findRecord(dataRoot: string, query: string): ContainerRecord {
  const records = listRecords(dataRoot);
  const byName = records.find((r) => r.name === query.replace(/^\//, ''));
  if (byName) return byName;
  const byId = records.filter((r) => r.id.startsWith(query));
  if (byId.length === 1 && query.length >= 1) return byId[0]!;
  if (byId.length > 1) throw new UsageError(`container ID prefix "${query}" is ambiguous: give more characters or the name`);
  throw new UsageError(`no such container: ${query} (see \`tslab container ps -a\`)`);
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nifty', 'quiet', 'sharp', 'tender', 'vivid', 'witty', 'zen'];
const NOUNS = ['turing', 'hopper', 'lovelace', 'ritchie', 'thompson', 'torvalds', 'knuth', 'dijkstra', 'liskov', 'hamilton', 'perlman', 'allen', 'kernighan', 'pike', 'wozniak', 'cerf'];

export function randomName(dataRoot: string): string {
  const taken = new Set(listRecords(dataRoot).map((r) => r.name));
  for (;;) {
    const n = `${ADJECTIVES[randomBytes(1)[0]! % ADJECTIVES.length]}_${NOUNS[randomBytes(1)[0]! % NOUNS.length]}`;
    const name = taken.has(n) ? `${n}${randomBytes(1)[0]! % 100}` : n;
    if (!taken.has(name)) return name;
  }
}

export function validateName(dataRoot: string, name: string): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw new UsageError(`invalid container name "${name}": use letters, digits, _ . - and start with a letter or digit`);
  }
  const clash = listRecords(dataRoot).find((r) => r.name === name);
  if (clash) throw new UsageError(`the name "${name}" is already used by container ${clash.id.slice(0, 12)}: remove it (tslab container rm ${name}) or choose another name`);
}
