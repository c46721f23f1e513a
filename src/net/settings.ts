// Where network state lives and the defaults of the default network, like docker's `bip`.
// <dataRoot>/network/config.json (optional) overrides the defaults:
//   { "bridge": "tslab0", "subnet": "10.87.0.0/16", "nftTable": "tslab", "userSubnetPool": "10.88.0.0/16" }
// Tests point TSLAB_DATA_ROOT at a scratch folder and name their bridge and table tslabt….
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/config.js';
import { parseSubnet } from './ip.js';

export interface NetworkSettings {
  /** the folder that holds networks, leases, endpoints and the containers' hosts files */
  root: string;
  /** bridge device of the default network "bridge" */
  bridge: string;
  /** subnet of the default network; the bridge takes the first address as the gateway */
  subnet: string;
  /** the nftables table (family ip) that holds published ports */
  nftTable: string;
  /** user-defined networks without --subnet get the next free /24 from this pool */
  userSubnetPool: string;
}

export const DEFAULT_NETWORK = 'bridge';
const KNOWN = ['bridge', 'subnet', 'nftTable', 'userSubnetPool'] as const;

export function networkRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(loadConfig(env).dataRoot, 'network');
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): NetworkSettings {
  const root = networkRoot(env);
  const settings: NetworkSettings = {
    root, bridge: 'tslab0', subnet: '10.87.0.0/16', nftTable: 'tslab', userSubnetPool: '10.88.0.0/16',
  };
  const path = join(root, 'config.json');
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${path}: ${(err as Error).message}`);
  }
  for (const [key, value] of Object.entries(raw)) {
    if (!(KNOWN as readonly string[]).includes(key) || typeof value !== 'string') {
      throw new Error(`${path}: unknown key or non-string value "${key}" (known: ${KNOWN.join(', ')})`);
    }
    settings[key as (typeof KNOWN)[number]] = value;
  }
  checkLinkName(settings.bridge, `${path}: "bridge"`);
  parseSubnet(settings.subnet);
  parseSubnet(settings.userSubnetPool);
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(settings.nftTable)) throw new Error(`${path}: "nftTable" must be a simple name`);
  return settings;
}

/** Linux link names: at most 15 bytes (IFNAMSIZ - 1), no '/', ':' or whitespace. */
export function checkLinkName(name: string, what: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new Error(`${what}: "${name}" is not a valid link name (1-15 of A-Z a-z 0-9 _ . -)`);
}
