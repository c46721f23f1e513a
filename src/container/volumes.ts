// Named volumes: <dataRoot>/volumes/<name>/_data. They outlive containers; `rm` never removes one.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export function volumesDir(dataRoot: string): string {
  return join(dataRoot, 'volumes');
}

export function volumeDataDir(dataRoot: string, name: string, create: boolean): string {
  const dir = join(volumesDir(dataRoot), name, '_data');
  if (create && !existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

export function listVolumes(dataRoot: string): string[] {
  const dir = volumesDir(dataRoot);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

export function removeVolume(dataRoot: string, name: string, inUseBy: string[]): void {
  const dir = join(volumesDir(dataRoot), name);
  if (!existsSync(dir)) throw new UsageError(`no such volume: ${name}`);
  if (inUseBy.length > 0) throw new UsageError(`volume ${name} is used by container(s) ${inUseBy.join(', ')}: remove them first`);
  rmSync(dir, { recursive: true, force: true });
}
