// More of docker's container commands: commit, cp, restart, top, stats, update, wait, rename,
// attach. Registered on `tslab container` (src/cli/commands/container.ts makes the group).
import { totalmem } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError, requireRoot } from '../../errors.js';
import { collect } from '../../container/options.js';
import { dataRoot, find, refresh } from '../../container/state.js';
import { containerDir, listRecords, saveRecord, validateName, type ContainerRecord } from '../../container/record.js';
import { containerProcesses, readStats, type ContainerStats } from '../../container/processes.js';
import { updateContainer, type UpdateFlags } from '../../container/update.js';
import { collectNetworks } from '../../container/network-gc.js';
import { table } from '../../image/format.js';
import { formatBytes } from '../../image/progress.js';
import { followLog, verbs } from './container.js';
import { writeOut } from '../output.js';

/** CONTAINER:PATH → [container, path]; a host path has no colon before its first slash. */
function splitTarget(arg: string): { container?: string; path: string } {
  const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(.*)$/.exec(arg);
  return m ? { container: m[1]!, path: m[2] || '/' } : { path: arg };
}

/** The monitor of a stopped container must be gone (it deletes the runtime state and unmounts) before it starts again. */
async function monitorGone(record: ContainerRecord): Promise<void> {
  const pid = record.state.monitorPid;
  const deadline = Date.now() + 15_000;
  const alive = (): boolean => {
    if (!pid || pid === process.pid) return false;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  };
  for (let delay = 5; alive(); delay = Math.min(delay * 2, 100)) {
    if (Date.now() > deadline) throw new Error(`container ${record.name}: its monitor (pid ${pid}) did not finish within 15 s`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

function statsRow(r: ContainerRecord, s: ContainerStats, cpuPercent: number): string[] {
  const limit = s.memoryLimit === undefined || s.memoryLimit > totalmem() ? totalmem() : s.memoryLimit;
  const mem = s.memoryBytes ?? 0;
  return [
    r.id.slice(0, 12), r.name, `${cpuPercent.toFixed(2)}%`, `${formatBytes(mem)} / ${formatBytes(limit)}`,
    `${((mem / limit) * 100).toFixed(2)}%`, `${formatBytes(s.netRx)} / ${formatBytes(s.netTx)}`,
    `${formatBytes(s.blockRead ?? 0)} / ${formatBytes(s.blockWrite ?? 0)}`, String(s.pids ?? 0),
  ];
}

async function statsTable(records: ContainerRecord[]): Promise<string> {
  const first = new Map(records.map((r) => [r.id, { s: readStats(r), at: process.hrtime.bigint() }]));
  await new Promise((r) => setTimeout(r, 500));
  const rows = records.map((r) => {
    const s = readStats(r);
    const before = first.get(r.id)!;
    const wallUs = Number(process.hrtime.bigint() - before.at) / 1000;
    const cpu = ((s.cpuUsageUsec ?? 0) - (before.s.cpuUsageUsec ?? 0)) / wallUs * 100;
    return statsRow(r, s, Math.max(0, cpu));
  });
  return table(['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'], rows);
}

export function registerContainerMore(program: Command, binName: string): void {
  if (binName !== 'tslab') return;
  const container = program.commands.find((c) => c.name() === 'container');
  if (!container) return;

  container.command('commit <container> [name]').description('make an image of a container: its changes as one more layer on its image')
    .option('-c, --change <instruction>', 'apply a Dockerfile instruction to the config: CMD, ENTRYPOINT, ENV, … (repeatable)', collect)
    .option('-m, --message <text>', 'a comment in the new history entry')
    .option('-a, --author <name>', 'the author')
    .option('--no-pause', 'do not freeze a running container while reading its changes')
    .action(async (name: string, image: string | undefined, opts: { change?: string[]; message?: string; author?: string; pause: boolean }) => {
      requireRoot('tslab container commit');
      // the layer writer and tar (commit, cp) load in their actions: `container ls` needs neither
      const { commitContainer } = await import('../../build/commit.js');
      const r = await commitContainer(find(name), image, {
        changes: opts.change ?? [], pause: opts.pause, ...(opts.message ? { message: opts.message } : {}), ...(opts.author ? { author: opts.author } : {}),
      });
      writeOut(`${r.configDigest}\n`);
    });

  container.command('cp <source> <dest>').description('copy files between a container and the host: CONTAINER:PATH HOSTPATH, HOSTPATH CONTAINER:PATH (- for a tar on stdin/stdout)')
    .action(async (source: string, dest: string) => {
      requireRoot('tslab container cp');
      const s = splitTarget(source);
      const d = splitTarget(dest);
      if (s.container && d.container) throw new UsageError('copying between two containers is not supported: copy to the host first');
      if (!s.container && !d.container) throw new UsageError('one side must be CONTAINER:PATH, e.g. tslab container cp web:/etc/hostname .');
      const { copyFromContainer, copyToContainer } = await import('../../container/cp.js');
      if (s.container) {
        if (dest === '-' && process.stdout.isTTY) throw new UsageError('refusing to write a tar to a terminal: redirect stdout');
        await copyFromContainer(find(s.container), s.path, dest, process.stdout);
      } else {
        if (source === '-' && process.stdin.isTTY) throw new UsageError('reading a tar from a terminal makes no sense: redirect stdin');
        await copyToContainer(find(d.container!), source, d.path, process.stdin);
      }
    });

  container.command('restart <containers...>').description('stop (grace period, then SIGKILL) and start containers again')
    .option('-t, --time <seconds>', 'grace period before SIGKILL', '10')
    .action(async (names: string[], opts: { time: string }) => {
      requireRoot('tslab container restart');
      const t = Number(opts.time);
      if (!Number.isFinite(t) || t < 0) throw new UsageError(`--time "${opts.time}": give seconds`);
      await collectNetworks(dataRoot());
      const { stopContainer } = await verbs();
      for (const n of names) {
        const record = find(n);
        await stopContainer(record, t);
        await monitorGone(record);
        await (await import('../../container/monitor.js')).startDetached(find(n));
        writeOut(`${n}\n`);
      }
    });

  container.command('top <container>').description('the container\'s processes, as ps -ef shows them (host PIDs)')
    .action((name: string) => {
      const rows = containerProcesses(find(name));
      writeOut(table(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], rows.map((p) => [String(p.uid), String(p.pid), String(p.ppid), '0', p.stime, p.tty, p.time, p.cmd])));
    });

  container.command('stats [containers...]').description('CPU, memory, network, block I/O and pids of running containers (live on a terminal)')
    .option('--no-stream', 'print one reading and exit')
    .action(async (names: string[], opts: { stream: boolean }) => {
      const pick = (): ContainerRecord[] => (names.length ? names.map(find) : listRecords(dataRoot()).map(refresh).filter((r) => r.state.status === 'running'));
      if (!opts.stream || !process.stdout.isTTY) {
        writeOut(await statsTable(pick()));
        return;
      }
      let stop = false;
      process.once('SIGINT', () => (stop = true));
      while (!stop) {
        const text = await statsTable(pick().filter((r) => r.state.status === 'running'));
        writeOut(`\x1b[H\x1b[2J${text}`);
      }
    });

  container.command('update <containers...>').description('change the memory, CPU and pids limits of running containers')
    .option('-m, --memory <size>', 'memory limit, e.g. 64m')
    .option('--cpus <n>', 'CPU limit, e.g. 0.5')
    .option('--pids-limit <n>', 'process limit')
    .action((names: string[], flags: UpdateFlags) => {
      requireRoot('tslab container update');
      for (const n of names) {
        updateContainer(find(n), flags);
        writeOut(`${n}\n`);
      }
    });

  container.command('wait <containers...>').description('wait until containers stop, then print their exit codes')
    .action(async (names: string[]) => {
      for (const n of names) {
        const record = find(n);
        for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
          if (!existsSync(containerDir(dataRoot(), record.id))) throw new UsageError(`container ${n} was removed while waiting`);
          const s = refresh(record).state;
          if (s.status === 'exited' || s.status === 'created') break;
          await new Promise((r) => setTimeout(r, delay));
        }
        writeOut(`${record.state.exitCode ?? 0}\n`);
      }
    });

  container.command('rename <container> <name>').description('give a container a new name')
    .action((name: string, newName: string) => {
      const record = find(name);
      validateName(dataRoot(), newName);
      record.name = newName;
      saveRecord(dataRoot(), record);
    });

  container.command('attach <container>').description('follow a detached container\'s output until it exits (^C is sent to it)')
    .option('--no-sig-proxy', 'do not send ^C to the container; detach instead')
    .action(async (name: string, opts: { sigProxy: boolean }) => {
      const record = find(name);
      if (record.state.status !== 'running' && record.state.status !== 'paused') {
        throw new UsageError(`container ${name} is not running (${record.state.status}): start it with tslab container start -a ${name}`);
      }
      // loaded before ^C: the handler cannot wait
      const { killContainer } = await verbs();
      const onInt = (): void => {
        if (!opts.sigProxy) process.exit(0);
        try {
          killContainer(record, 'SIGINT');
        } catch {
          // it ended meanwhile
        }
      };
      process.on('SIGINT', onInt);
      try {
        await followLog(record, 0, true);
      } finally {
        process.off('SIGINT', onInt);
      }
      process.exitCode = refresh(record).state.exitCode ?? 0;
    });
}
