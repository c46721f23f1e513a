// `tslab volume …`: named volumes, which outlive containers. A group of its own: `volume ls` loads
// neither the container verbs nor the network code (src/cli/commands/index.ts).
import type { Command } from 'commander';
import { dataRoot } from '../../container/state.js';
import { listRecords } from '../../container/record.js';
import { listVolumes, removeVolume } from '../../container/volumes.js';
import { table } from '../../image/format.js';
import { writeOut } from '../output.js';

export function registerVolume(program: Command, binName: string): void {
  if (binName !== 'tslab') return;
  const volume = program.command('volume').description('named volumes (they outlive containers)');
  volume.command('ls').description('list volumes').action(() => {
    writeOut(table(['VOLUME NAME'], listVolumes(dataRoot()).map((v) => [v])));
  });
  volume.command('rm <names...>').description('remove volumes no container uses').action((names: string[]) => {
    for (const n of names) {
      const users = listRecords(dataRoot()).filter((r) => r.options.mounts.some((m) => m.type === 'volume' && m.source === n)).map((r) => r.name);
      removeVolume(dataRoot(), n, users);
      writeOut(`${n}\n`);
    }
  });
}
