// /etc/tslab/config.json, like docker's daemon.json: where tslab keeps its data, which registries
// to mirror or reach over plain HTTP, log limits and the default runtime. Unknown keys are an
// error, so a typo never silently falls back to a default.
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { ENV } from '../env.js';

export interface TslabConfig {
  /** Images, snapshots, containers and volumes live here. */
  dataRoot: string;
  /** Registries tried first for docker.io images, e.g. "http://127.0.0.1:5000". */
  registryMirrors: string[];
  /** Hosts (host or host:port) that may be reached over plain HTTP. Loopback always may. */
  insecureRegistries: string[];
  /** Largest log a detached container keeps, in bytes (from "10m", "1g" or a number). */
  logMaxSize: number;
  /** OCI runtime program used by `tslab container` (runc's command line). Empty = bin/tslab-runtime. */
  runtime: string;
}

export const DEFAULT_CONFIG_PATH = '/etc/tslab/config.json';
export const DEFAULT_DATA_ROOT = '/var/lib/tslab';

const KNOWN_KEYS = ['dataRoot', 'registryMirrors', 'insecureRegistries', 'logMaxSize', 'runtime'] as const;

export function defaultConfig(): TslabConfig {
  return { dataRoot: DEFAULT_DATA_ROOT, registryMirrors: [], insecureRegistries: [], logMaxSize: 10 * 1024 * 1024, runtime: '' };
}

/** "10m", "512k", "1g", "100" → bytes; undefined when it is not a size. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(value.trim());
  if (!m) return undefined;
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase()]!;
  return Math.floor(Number(m[1]) * unit);
}

function stringList(path: string, key: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new UsageError(`${path}: "${key}" must be a list of strings`);
  }
  return value as string[];
}

/** Validates parsed JSON into a config; `path` only names the file in errors. */
export function parseConfig(raw: unknown, path: string): TslabConfig {
  const config = defaultConfig();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`${path}: the config must be a JSON object, e.g. {"dataRoot": "/var/lib/tslab"}`);
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    switch (key) {
      case 'dataRoot':
        if (typeof value !== 'string' || !value.startsWith('/')) throw new UsageError(`${path}: "dataRoot" must be an absolute path`);
        config.dataRoot = value;
        break;
      case 'registryMirrors':
        config.registryMirrors = stringList(path, key, value).map((m) => {
          if (!/^https?:\/\/[^/]+\/?$/.test(m)) throw new UsageError(`${path}: mirror "${m}" must be a URL like http://127.0.0.1:5000`);
          return m.replace(/\/$/, '');
        });
        break;
      case 'insecureRegistries':
        config.insecureRegistries = stringList(path, key, value);
        break;
      case 'logMaxSize': {
        const size = typeof value === 'string' || typeof value === 'number' ? parseSize(value) : undefined;
        if (size === undefined) throw new UsageError(`${path}: "logMaxSize" must be a size such as "10m"`);
        config.logMaxSize = size;
        break;
      }
      case 'runtime':
        if (typeof value !== 'string') throw new UsageError(`${path}: "runtime" must be a path to an OCI runtime such as /usr/sbin/runc`);
        config.runtime = value;
        break;
      default:
        throw new UsageError(`${path}: unknown key "${key}" (known keys: ${KNOWN_KEYS.join(', ')})`);
    }
  }
  return config;
}

let cached: TslabConfig | undefined;

/**
 * The config in force: TSLAB_CONFIG (or /etc/tslab/config.json) when it exists, with
 * TSLAB_DATA_ROOT overriding the data root (tests use a unique temporary one).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TslabConfig {
  if (cached && env === process.env) return cached;
  const path = env[ENV.CONFIG] || DEFAULT_CONFIG_PATH;
  let config = defaultConfig();
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || env[ENV.CONFIG]) {
      throw new UsageError(`cannot read the config ${path}: ${code ?? (err as Error).message}`);
    }
  }
  if (text !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`${path} is not valid JSON: ${(err as Error).message}`);
    }
    config = parseConfig(raw, path);
  }
  const dataRoot = env[ENV.DATA_ROOT];
  if (dataRoot) {
    if (!dataRoot.startsWith('/')) throw new UsageError('TSLAB_DATA_ROOT must be an absolute path');
    config.dataRoot = dataRoot;
  }
  if (env === process.env) cached = config;
  return config;
}

/** Forget the cached config (tests change the environment between calls). */
export function resetConfigCache(): void {
  cached = undefined;
}
