// `tslab container …`: docker's container commands (run, create, start, ps, logs, exec, stop,
// kill, rm, inspect, pause, unpause, diff, export) over an OCI runtime given by --runtime.
import { createWriteStream, existsSync, openSync, readFileSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { UsageError, requireRoot } from '../../errors.js';
import { reportFailure } from '../log.js';
import { collect, type RunFlags } from '../../container/options.js';
// creating and starting a container (the image store, snapshots, the spec, the monitor) loads in
// the actions that do it: the listings and the other verbs do without
const create = (): Promise<typeof import('../../container/create.js')> => import('../../container/create.js');
import { dataRoot, find, logPath, refresh } from '../../container/state.js';
const monitor = (): Promise<typeof import('../../container/monitor.js')> => import('../../container/monitor.js');
const foreground = (): Promise<typeof import('../../container/foreground.js')> => import('../../container/foreground.js');
// so do the verbs, the root filesystem and the image's snapshots: `ps` loads half
// the code (the group's own bundle, scripts/bundle.mjs)
export const verbs = (): Promise<typeof import('../../container/verbs.js')> => import('../../container/verbs.js');
const rootfsOps = (): Promise<typeof import('../../container/rootfs.js')> => import('../../container/rootfs.js');
import { containerDir, listRecords, type ContainerRecord } from '../../container/record.js';
/** The folders of the image layers below a container, top first (overlayfs' lowerdir order). */
async function lowerDirs(r: ContainerRecord): Promise<string[]> {
  const [{ snapshotFs }, { openStore }] = await Promise.all([import('../../image/snapshots.js'), import('../../image/index.js')]);
  return [...r.chainIds].reverse().map((c) => snapshotFs(openStore(), c));
}
import { duration, table, timeAgo } from '../../image/format.js';
import { collectNetworks } from '../../container/network-gc.js';
import { containerNetwork, describePorts } from '../../net/attachment.js';
import { writeOut } from '../output.js';

function runOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'name the container')
    .option('--rm', 'remove the container when it exits')
    .option('-d, --detach', 'run in the background and print the container ID')
    .option('-i, --interactive', 'keep stdin open')
    .option('-t, --tty', 'give the container a terminal')
    .option('-e, --env <VAR=value>', 'set an environment variable (repeatable)', collect)
    .option('--env-file <file>', 'read environment variables from a file (repeatable)', collect)
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user (name or uid) to run as')
    .option('-h, --hostname <name>', 'container hostname')
    .option('-v, --volume <src:dst[:ro]>', 'bind a host path or a named volume (repeatable)', collect)
    .option('--mount <spec>', 'type=bind|volume|tmpfs,source=…,target=…[,readonly] (repeatable)', collect)
    .option('--tmpfs <path[:opts]>', 'mount a tmpfs (repeatable)', collect)
    .option('-m, --memory <size>', 'memory limit, e.g. 64m')
    .option('--cpus <n>', 'CPU limit, e.g. 0.5')
    .option('--pids-limit <n>', 'process limit')
    .option('--read-only', 'mount the root filesystem read-only')
    .option('--entrypoint <cmd>', 'override the image entrypoint')
    .option('--cap-add <cap>', 'add a capability (repeatable)', collect)
    .option('--cap-drop <cap>', 'drop a capability (repeatable)', collect)
    .option('--security-opt <opt>', 'seccomp=unconfined (no filter) or seccomp=FILE (an OCI seccomp profile); default: docker\'s default profile', collect)
    .option('--privileged', 'every capability, no seccomp filter, no masked or read-only /proc and /sys paths (devices stay the default set)')
    .option('--network <mode>', 'none, host, bridge (default) or a network from tslab network create', 'bridge')
    .option('-p, --publish <[hostip:]hostport:port[/proto]>', 'publish a container port on the host (repeatable)', collect)
    .option('--network-alias <name>', 'another name peers on a user-defined network resolve (repeatable)', collect)
    .option('--runtime <path>', 'OCI runtime with runc\'s command line (default: bin/tslab-runtime)')
    .argument('<image>', 'image to run')
    .argument('[command...]', 'command and arguments')
    .allowUnknownOption()
    .passThroughOptions();
}

function checkImageArg(image: string): void {
  if (image.startsWith('-')) throw new UsageError(`unknown option "${image}": see tslab container run --help`);
}

function statusText(r: ContainerRecord): string {
  const s = r.state;
  switch (s.status) {
    case 'created':
      return 'Created';
    case 'running':
      return `Up ${duration(Date.now() - Date.parse(s.startedAt ?? r.created))}`;
    case 'paused':
      return `Up ${duration(Date.now() - Date.parse(s.startedAt ?? r.created))} (Paused)`;
    case 'exited':
      return `Exited (${s.exitCode ?? '?'}) ${timeAgo(s.finishedAt)}`;
  }
}

function commandText(r: ContainerRecord): string {
  const c = [...r.options.entrypoint, ...r.options.cmd].join(' ');
  return `"${c.length > 20 ? `${c.slice(0, 19)}…` : c}"`;
}

export async function followLog(record: ContainerRecord, tail: number | undefined, follow: boolean): Promise<void> {
  const path = logPath(record);
  let offset = 0;
  // the older half of a log that reached logMaxSize
  if (tail === undefined && existsSync(`${path}.1`)) writeOut(readFileSync(`${path}.1`));
  if (existsSync(path) && tail !== undefined) {
    const size = statSync(path).size;
    const fd = openSync(path, 'r');
    const buf = Buffer.alloc(Math.min(size, 4 * 1024 * 1024));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    closeSync(fd);
    const lines = buf.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const shown = lines.slice(Math.max(0, lines.length - tail));
    writeOut(shown.length ? `${shown.join('\n')}\n` : '');
    offset = size;
  }
  const pump = (): void => {
    if (!existsSync(path)) return;
    const size = statSync(path).size;
    if (size <= offset) return;
    const fd = openSync(path, 'r');
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    closeSync(fd);
    offset = size;
    writeOut(buf);
  };
  pump();
  if (!follow) return;
  for (;;) {
    const status = existsSync(containerDir(dataRoot(), record.id)) ? refresh(record).state.status : 'exited';
    pump();
    if (status === 'exited' || status === 'created') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  pump();
}

/** docker's NetworkSettings: the address on the container's network and its published ports. */
function networkSettings(r: ContainerRecord): unknown {
  const a = containerNetwork(r.id);
  const ports: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of a?.ports ?? []) (ports[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  const networks: Record<string, unknown> = {};
  if (a) {
    networks[a.network] = {
      IPAddress: a.address, IPPrefixLen: a.prefix, Gateway: a.gateway, Aliases: r.options.aliases ?? [], HostVeth: a.hostVeth,
      Bridge: a.bridge,
    };
  }
  return {
    IPAddress: a?.address ?? '', IPPrefixLen: a?.prefix ?? 0, Gateway: a?.gateway ?? '',
    Ports: ports, Networks: networks,
  };
}

async function inspectJson(r: ContainerRecord): Promise<unknown> {
  const dir = containerDir(dataRoot(), r.id);
  const [lowers, paths] = await Promise.all([lowerDirs(r), rootfsOps().then((m) => m.rootfsPaths(dir))]);
  return {
    Id: r.id,
    Name: `/${r.name}`,
    Created: r.created,
    Path: [...r.options.entrypoint, ...r.options.cmd][0],
    Args: [...r.options.entrypoint, ...r.options.cmd].slice(1),
    State: {
      Status: r.state.status,
      Running: r.state.status === 'running' || r.state.status === 'paused',
      Paused: r.state.status === 'paused',
      Pid: r.state.pid ?? 0,
      ExitCode: r.state.exitCode ?? 0,
      StartedAt: r.state.startedAt,
      FinishedAt: r.state.finishedAt,
      Error: r.state.error ?? '',
    },
    Image: r.imageId,
    ImageName: r.image,
    Runtime: r.runtime,
    LogPath: join(dir, 'container.log'),
    Bundle: dir,
    GraphDriver: {
      Name: 'overlay',
      Data: {
        LowerDir: lowers.join(':'),
        UpperDir: paths.upper,
        WorkDir: paths.work,
        MergedDir: paths.rootfs,
      },
    },
    Mounts: r.options.mounts,
    NetworkSettings: networkSettings(r),
    Config: {
      Hostname: r.options.hostname || r.id.slice(0, 12),
      User: r.options.user,
      Env: r.options.env,
      Cmd: r.options.cmd,
      Entrypoint: r.options.entrypoint,
      WorkingDir: r.options.cwd,
      Tty: r.options.tty,
      OpenStdin: r.options.stdin,
      StopSignal: r.options.stopSignal,
    },
    HostConfig: {
      AutoRemove: r.options.autoRemove,
      NetworkMode: r.options.network,
      ReadonlyRootfs: r.options.readOnly,
      Memory: r.options.memory ?? 0,
      NanoCpus: r.options.cpus ? Math.round(r.options.cpus * 1e9) : 0,
      PidsLimit: r.options.pidsLimit ?? 0,
      CapAdd: r.options.capAdd,
      CapDrop: r.options.capDrop,
    },
  };
}

export function registerContainer(program: Command, binName: string): void {
  if (binName !== 'tslab') return;
  const container = program.command('container').description('run and manage containers like docker (image + flags → OCI bundle → runtime)')
    .enablePositionalOptions();

  runOptions(container.command('run').description('create and start a container'))
    .option('--step', 'step through the lifecycle one syscall at a time in the TUI')
    .option('--tui', 'watch the lifecycle live in the TUI')
    .action(async (image: string, command: string[], flags: RunFlags & { step?: boolean; tui?: boolean }) => {
      checkImageArg(image);
      requireRoot('tslab container run');
      if (flags.step || flags.tui) {
        const { runUnderTuiFromCli } = await import('../tui-bridge.js');
        const argv = process.argv.slice(2);
        // only the flags before the image are ours: `run --step busybox echo --step` keeps its argument
        const at = argv.indexOf(image);
        const head = (at < 0 ? argv : argv.slice(0, at)).filter((a) => a !== '--step' && a !== '--tui');
        process.exitCode = await runUnderTuiFromCli([...head, ...(at < 0 ? [] : argv.slice(at))], { step: flags.step ?? false, title: `container run ${image}` });
        return;
      }
      await collectNetworks(dataRoot());
      const record = await (await create()).createContainer(image, command, flags);
      try {
        if (record.options.detach) {
          await (await monitor()).startDetached(record);
          writeOut(`${record.id}\n`);
          return;
        }
        process.exitCode = await (await foreground()).runForeground(record);
      } catch (err) {
        // a run that could not start (a refused port, a failed attach) leaves no --rm container behind
        if (record.options.autoRemove && existsSync(containerDir(dataRoot(), record.id))) (await verbs()).removeContainer(record, true);
        throw err;
      }
    });

  runOptions(container.command('create').description('create a container without starting it'))
    .action(async (image: string, command: string[], flags: RunFlags) => {
      checkImageArg(image);
      const record = await (await create()).createContainer(image, command, flags);
      writeOut(`${record.id}\n`);
    });

  container.command('start <containers...>').description('start created or stopped containers')
    .option('-a, --attach', 'attach output and wait for the exit (one container)')
    .action(async (names: string[], opts: { attach?: boolean }) => {
      requireRoot('tslab container start');
      await collectNetworks(dataRoot());
      if (opts.attach && names.length > 1) throw new UsageError('-a attaches to one container at a time');
      for (const n of names) {
        const record = find(n);
        if (record.state.status === 'running' || record.state.status === 'paused') {
          writeOut(`${n}\n`);
          continue;
        }
        if (opts.attach) {
          process.exitCode = await (await foreground()).runForeground(record);
          return;
        }
        await (await monitor()).startDetached(record);
        writeOut(`${n}\n`);
      }
    });

  container.command('ps').alias('ls').description('list containers')
    .option('-a, --all', 'show all containers (default: running)')
    .option('-q, --quiet', 'only IDs')
    .option('--no-trunc', 'full IDs and commands')
    .action(async (opts: { all?: boolean; quiet?: boolean; trunc: boolean }) => {
      const records = listRecords(dataRoot()).map(refresh);
      await collectNetworks(dataRoot());
      const shown = records.filter((r) => opts.all || r.state.status === 'running' || r.state.status === 'paused');
      if (opts.quiet) {
        writeOut(shown.map((r) => `${opts.trunc ? r.id.slice(0, 12) : r.id}\n`).join(''));
        return;
      }
      writeOut(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], shown.map((r) => [
        opts.trunc ? r.id.slice(0, 12) : r.id,
        r.image.replace(/^docker\.io\/library\//, '').replace(/:latest$/, ''),
        commandText(r),
        timeAgo(r.created),
        statusText(r),
        describePorts(containerNetwork(r.id)?.ports ?? []).join(', '),
        r.name,
      ])));
    });

  container.command('logs <container>').description('show a container\'s output')
    .option('-f, --follow', 'keep following until the container exits')
    .option('-n, --tail <lines>', 'only the last N lines')
    .action(async (name: string, opts: { follow?: boolean; tail?: string }) => {
      const tail = opts.tail === undefined || opts.tail === 'all' ? undefined : Number(opts.tail);
      if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new UsageError(`--tail "${opts.tail}": give a number of lines`);
      await followLog(find(name), tail, opts.follow ?? false);
    });

  container.command('exec').description('run a command in a running container')
    .option('-i, --interactive', 'keep stdin open')
    .option('-t, --tty', 'use the terminal')
    .option('-u, --user <user[:group]>', 'user to run as')
    .option('-e, --env <VAR=value>', 'extra environment (repeatable)', collect)
    .option('-w, --workdir <dir>', 'working directory')
    .option('-d, --detach', 'start the command in the background and return')
    .argument('<container>')
    .argument('<command...>')
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (name: string, command: string[], opts: { interactive?: boolean; tty?: boolean; user?: string; env?: string[]; workdir?: string; detach?: boolean }) => {
      checkImageArg(name);
      requireRoot('tslab container exec');
      process.exitCode = await (await verbs()).execInContainer(find(name), command, opts);
    });

  container.command('stop <containers...>').description('stop containers (stop signal, then SIGKILL after a grace period)')
    .option('-t, --time <seconds>', 'grace period before SIGKILL', '10')
    .action(async (names: string[], opts: { time: string }) => {
      const t = Number(opts.time);
      if (!Number.isFinite(t) || t < 0) throw new UsageError(`--time "${opts.time}": give seconds`);
      const { stopContainer } = await verbs();
      for (const n of names) {
        await stopContainer(find(n), t);
        writeOut(`${n}\n`);
      }
    });

  container.command('kill <containers...>').description('send a signal to containers')
    .option('-s, --signal <signal>', 'signal to send', 'KILL')
    .action(async (names: string[], opts: { signal: string }) => {
      const sig = opts.signal.toUpperCase();
      if (!/^(SIG)?[A-Z0-9+-]+$/.test(sig) && !/^\d+$/.test(sig)) throw new UsageError(`invalid signal "${opts.signal}"`);
      const { killContainer } = await verbs();
      for (const n of names) {
        killContainer(find(n), /^\d+$/.test(sig) ? sig : sig.startsWith('SIG') ? sig : `SIG${sig}`);
        writeOut(`${n}\n`);
      }
    });

  container.command('rm <containers...>').alias('remove').description('remove containers (named volumes stay)')
    .option('-f, --force', 'kill running containers first')
    .action(async (names: string[], opts: { force?: boolean }) => {
      // as docker rm: a name that fails is reported and the others are still removed; exit 1 at the end
      const { removeContainer } = await verbs();
      let failed = false;
      for (const n of names) {
        try {
          removeContainer(find(n), opts.force ?? false);
          writeOut(`${n}\n`);
        } catch (err) {
          reportFailure(err, 'tslab');
          failed = true;
        }
      }
      await collectNetworks(dataRoot());
      if (failed) process.exitCode = 1;
    });

  // The createRuntime hook of `run -t` (src/container/create.ts): the runtime gives the
  // container's state on stdin; the created init's network namespace gets its network.
  container.command('network-hook <id>', { hidden: true })
    .description('OCI createRuntime hook: attach a created container\'s init to its network')
    .action(async (id: string) => {
      const state = JSON.parse(readFileSync(0, 'utf8')) as { pid?: number };
      if (!state.pid) throw new Error('network-hook: the runtime gave no pid on stdin');
      (await import('../../container/network.js')).attachNetwork(find(id), state.pid);
    });

  container.command('port <container>').description('list the container\'s published ports (CONTAINERPORT/PROTO -> HOSTIP:HOSTPORT)')
    .argument('[port]', 'only this container port, e.g. 80 or 80/tcp')
    .action((name: string, only: string | undefined) => {
      const r = find(name);
      const ports = containerNetwork(r.id)?.ports ?? [];
      const wanted = ports.filter((p) => !only || only === String(p.containerPort) || only === `${p.containerPort}/${p.protocol}`);
      if (only && wanted.length === 0) throw new UsageError(`no public port ${only} published for container ${r.name}`);
      writeOut(wanted.map((p) => only ? `${p.hostIp}:${p.hostPort}\n` : `${p.containerPort}/${p.protocol} -> ${p.hostIp}:${p.hostPort}\n`).join(''));
    });

  container.command('inspect <containers...>').description('show container details as JSON')
    .action(async (names: string[]) => {
      const details = [];
      for (const n of names) details.push(await inspectJson(find(n)));
      writeOut(`${JSON.stringify(details, null, 2)}\n`);
    });

  container.command('pause <containers...>').description('freeze every process of containers (cgroup freezer)')
    .action(async (names: string[]) => {
      for (const n of names) {
        await (await verbs()).setPaused(find(n), true);
        writeOut(`${n}\n`);
      }
    });

  container.command('unpause <containers...>').description('thaw paused containers')
    .action(async (names: string[]) => {
      for (const n of names) {
        await (await verbs()).setPaused(find(n), false);
        writeOut(`${n}\n`);
      }
    });

  container.command('diff <container>').description('list files added (A), changed (C) and deleted (D) in the container')
    .action(async (name: string) => {
      const r = find(name);
      const dir = containerDir(dataRoot(), r.id);
      const [lowers, { diffUpper, rootfsPaths }] = await Promise.all([lowerDirs(r), rootfsOps()]);
      writeOut(diffUpper(rootfsPaths(dir).upper, lowers).map((c) => `${c.kind} ${c.path}\n`).join(''));
    });

  container.command('export <container>').description('write the container\'s filesystem as a tar')
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .action(async (name: string, opts: { output?: string }) => {
      const r = find(name);
      if (!opts.output && process.stdout.isTTY) throw new UsageError('refusing to write a tar to a terminal: use -o FILE or redirect stdout');
      const dir = containerDir(dataRoot(), r.id);
      const { isMounted, rootfsPaths, unmountRootfs } = await rootfsOps();
      const rootfs = rootfsPaths(dir).rootfs;
      const mountedHere = !isMounted(rootfs);
      if (mountedHere) (await create()).prepareBundle(r);
      try {
        const sink = opts.output ? createWriteStream(opts.output) : process.stdout;
        const tar = spawn('tar', ['--numeric-owner', '--xattrs', '-C', rootfs, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
        tar.stdout.pipe(sink);
        const code = await new Promise<number>((resolve) => tar.on('close', (c) => resolve(c ?? 1)));
        if (code !== 0) throw new Error(`tar failed with status ${code}`);
      } finally {
        if (mountedHere) unmountRootfs(dir);
      }
    });
}
