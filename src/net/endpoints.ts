// An endpoint is one container's attachment to one network: its address, the host end of its veth
// pair, its published ports and the files it gets. <root>/endpoints/<container id>.json.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, removeFile, writeJson } from './state.js';
import type { PortMapping, RuleHandle } from './ports.js';

export interface Endpoint {
  id: string;
  network: string;
  bridge: string;
  address: string;
  prefix: number;
  gateway: string;
  /** the host end of the veth pair; the container end is always eth0 */
  hostVeth: string;
  /** name other containers on a user-defined network resolve to this address */
  name: string;
  /** more names for it on a user-defined network (--network-alias) */
  aliases?: string[];
  hostname: string;
  ports: PortMapping[];
  /** nft rule handles of the published ports, for a one-step removal */
  nftRules?: RuleHandle[];
  /** prepared: address and files exist; attached: the veth pair and routes exist */
  state: 'prepared' | 'attached';
  /** the init's pid and its netns inode when attached (for gc: pids are reused, inodes of live netns are not) */
  pid?: number;
  netnsInode?: number;
  /** the boot this endpoint belongs to: after a reboot every endpoint is dead */
  bootId: string;
  files: { hosts: string; hostname: string; resolvConf: string };
}

export function endpointPath(root: string, id: string): string {
  return join(root, 'endpoints', `${id}.json`);
}

export function readEndpoint(root: string, id: string): Endpoint | undefined {
  return readJson<Endpoint>(endpointPath(root, id));
}

export function writeEndpoint(root: string, ep: Endpoint): void {
  writeJson(endpointPath(root, ep.id), ep);
}

export function removeEndpoint(root: string, id: string): void {
  removeFile(endpointPath(root, id));
}

export function listEndpoints(root: string): Endpoint[] {
  let files: string[] = [];
  try {
    files = readdirSync(join(root, 'endpoints')).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.map((f) => readJson<Endpoint>(join(root, 'endpoints', f))).filter((e): e is Endpoint => !!e);
}
