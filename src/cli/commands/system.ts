// `tslab info`, `tslab version` (laid out as docker prints them) and `tslab search`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { loadConfig } from '../../config/config.js';
import { openStore } from '../../image/index.js';
import { searchCatalog } from '../../image/search.js';
import { formatBytes } from '../../image/progress.js';
import { table } from '../../image/format.js';
import { hostPlatform } from '../../image/media.js';
import { cgroupMode } from '../../runtime/cgroups/index.js';
import { defaultRuntimePath, resolveRuntime } from '../../oci/runtime-cli.js';
import { listRecords } from '../../container/record.js';
import { refresh } from '../../container/state.js';
import { listVolumes } from '../../container/volumes.js';
import { listNetworks, loadSettings } from '../../net/index.js';
import { VERSION, commit } from '../version.js';
import { writeOut } from '../output.js';

/** The first line a runtime prints for --version, e.g. "runc version 1.1.5". */
function runtimeVersion(path: string): string {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : `unknown (${path} --version failed)`;
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

function otherRuntimes(): string[] {
  return ['runc', 'crun'].filter((r) => {
    try {
      resolveRuntime(r);
      return true;
    } catch {
      return false;
    }
  });
}

export function registerSystem(program: Command, binName: string): void {
  if (binName !== 'tslab') return;
  const platform = hostPlatform();

  program.command('version').description('show the versions of tslab and its runtime, as docker version does')
    .action(() => {
      const config = loadConfig();
      const runtime = resolveRuntime(config.runtime || undefined);
      writeOut([
        'Client:',
        ` Version:           ${VERSION}`,
        ` Node version:      ${process.version}`,
        ` Git commit:        ${(process.env.TSLAB_COMMIT ?? commit()).slice(0, 7)}`,
        ` OS/Arch:           ${platform.os}/${platform.architecture}`,
        '',
        'Server:',
        ' Engine:',
        `  Version:          ${VERSION}`,
        `  Node version:     ${process.version}`,
        `  OS/Arch:          ${platform.os}/${platform.architecture}`,
        ` ${basename(runtime)}:`,
        `  Version:          ${runtimeVersion(runtime).replace(/^\S+ version /, '')}`,
        '',
      ].join('\n'));
    });

  program.command('info').description('show system-wide information, as docker info does')
    .action(() => {
      const config = loadConfig();
      const store = openStore();
      const records = listRecords(config.dataRoot).map(refresh);
      const count = (s: string): number => records.filter((r) => r.state.status === s).length;
      const runtime = resolveRuntime(config.runtime || undefined);
      const images = new Set(store.list().map((i) => i.descriptor.digest)).size;
      let networks = 0;
      try {
        networks = listNetworks(loadSettings()).length;
      } catch {
        // no network state yet
      }
      const list = (items: string[]): string[] => items.map((i) => `  ${i}`);
      writeOut([
        'Client:',
        ` Version:    ${VERSION}`,
        '',
        'Server:',
        ` Containers: ${records.length}`,
        `  Running: ${count('running')}`,
        `  Paused: ${count('paused')}`,
        `  Stopped: ${count('exited') + count('created')}`,
        ` Images: ${images}`,
        ` Volumes: ${listVolumes(config.dataRoot).length}`,
        ` Networks: ${networks}`,
        ` Server Version: ${VERSION}`,
        ' Storage Driver: overlay',
        `  Snapshots: ${store.snapshots}`,
        ' Cgroup Driver: cgroupfs',
        ` Cgroup Version: ${cgroupMode() === 'v2' ? 2 : 1}`,
        ` Runtimes: ${[basename(defaultRuntimePath()), ...otherRuntimes()].join(' ')}`,
        ` Default Runtime: ${basename(runtime)} (${runtimeVersion(runtime)})`,
        ` Kernel Version: ${release()}`,
        ` Operating System: ${osName()}`,
        ' OSType: linux',
        ` Architecture: ${arch() === 'x64' ? 'x86_64' : arch()}`,
        ` CPUs: ${cpus().length}`,
        ` Total Memory: ${formatBytes(totalmem())}`,
        ` Name: ${hostname()}`,
        ` Data Root: ${config.dataRoot}`,
        ` Config: ${process.env.TSLAB_CONFIG ?? '/etc/tslab/config.json'}`,
        ' Insecure Registries:',
        ...list(['127.0.0.0/8 (loopback)', ...config.insecureRegistries]),
        ...(config.registryMirrors.length ? [' Registry Mirrors:', ...list(config.registryMirrors)] : []),
        '',
      ].join('\n'));
    });

  program.command('search <term>').description('search a registry\'s catalog for repositories')
    .option('--registry <host>', 'the registry to search (host[:port])', 'docker.io')
    .option('--limit <n>', 'at most N results', '25')
    .action(async (term: string, opts: { registry: string; limit: string }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit "${opts.limit}": give a whole number of results`);
      if (!/^[a-z0-9.-]+(:\d+)?$/i.test(opts.registry)) throw new UsageError(`--registry "${opts.registry}": give a host[:port], e.g. localhost:5000`);
      const names = await searchCatalog(opts.registry, term, loadConfig(), limit);
      writeOut(table(['NAME', 'REGISTRY'], names.map((n) => [n, opts.registry])));
    });
}
