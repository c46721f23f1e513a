// The OCI runtime's command line, runc-compatible: `tslab oci <cmd>` and `tslab-runtime <cmd>`.
import { Command, Option } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultSpec } from '../../oci/spec.js';
import { DEFAULT_ROOT, listStates, ociState, readState } from '../../runtime/state.js';
import { runCall } from '../runtime-calls.js';
import { createFromCli, runFromCli } from '../runtime-create.js';
import { execInContainer } from '../../runtime/lifecycle/exec.js';
import { controlFdFromEnv } from '../../runtime/lifecycle/in-process.js';
import { cgroupManager } from '../../runtime/cgroups/index.js';
import type { UpdateFlags } from '../../runtime/lifecycle/update.js';
import { requireRoot, UsageError } from '../../errors.js';
import { tracer } from '../../tracer/tracer.js';
import { setLog } from '../log.js';
import { VERSION, commit } from '../version.js';
import { ENV } from '../../env.js';
import { writeOut } from '../output.js';

interface GlobalOptions {
  root: string;
  log?: string;
  logFormat?: string;
}

function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as GlobalOptions;
  setLog(o.log, o.logFormat);
  return { ...o, root: resolve(o.root ?? DEFAULT_ROOT) };
}



/** Adds the runtime commands to `parent` (the program itself for tslab-runtime, `oci` for tslab). */
function addRuntimeCommands(parent: Command, binName: string): void {
  // runc's rule: global options before the command, so that `exec ID sh -c …` keeps its -c
  parent.enablePositionalOptions();
  parent
    .option('--root <dir>', 'where container state lives', DEFAULT_ROOT)
    .option('--log <file>', 'also write errors to FILE')
    .option('--log-format <format>', 'text or json', 'text')
    .addOption(new Option('--systemd-cgroup', 'accepted for runc compatibility; cgroupsPath "slice:prefix:name" is understood either way'))
    .addOption(new Option('--debug', 'accepted for runc compatibility').hideHelp())
    .addOption(new Option('--rootless <value>', 'accepted for runc compatibility').hideHelp())
    .addOption(new Option('--criu <path>', 'accepted for runc compatibility').hideHelp());

  parent.command('spec').description('write a default config.json into the bundle (like runc spec)')
    .option('-b, --bundle <dir>', 'bundle directory', '.')
    .option('--rootless', 'a spec for a user namespace')
    .action((opts: { bundle: string; rootless?: boolean }) => {
      const path = resolve(opts.bundle, 'config.json');
      if (existsSync(path)) throw new UsageError(`${path} already exists: remove it first`);
      writeFileSync(path, JSON.stringify(defaultSpec({ rootless: opts.rootless }), null, '\t') + '\n');
    });

  parent.command('create <id>').description('create a container: everything up to the exec, which waits for start')
    .option('-b, --bundle <dir>', 'bundle directory', '.')
    .option('--pid-file <file>', 'write the init pid to FILE')
    .option('--console-socket <path>', 'a unix socket to receive the pty master')
    .addOption(new Option('--no-pivot').hideHelp())
    .addOption(new Option('--no-new-keyring').hideHelp())
    .addOption(new Option('--preserve-fds <n>').hideHelp())
    .action((id: string, opts: { bundle: string; pidFile?: string; consoleSocket?: string }, cmd: Command) =>
      createFromCli({ root: globals(cmd).root, id, binName, bundle: opts.bundle, pidFile: opts.pidFile, consoleSocket: opts.consoleSocket }));

  parent.command('start <id>').description('run the program of a created container')
    .action((id: string, _opts: unknown, cmd: Command) => runCall('start', { root: globals(cmd).root, id, binName }));

  parent.command('state <id>').description('print the OCI state of a container as JSON')
    .action((id: string, _opts: unknown, cmd: Command) => runCall('state', { root: globals(cmd).root, id, binName }));

  parent.command('kill <id> [signal]').description('send a signal (default SIGTERM) to the container\'s init')
    .option('-a, --all', 'signal every process in the container')
    .action((id: string, signal: string | undefined, opts: { all?: boolean }, cmd: Command) =>
      runCall('kill', { root: globals(cmd).root, id, binName, signal, all: opts.all }));

  parent.command('delete <id>').description('delete a stopped container (with --force, also a running one)')
    .option('-f, --force', 'kill it first if it runs')
    .action((id: string, opts: { force?: boolean }, cmd: Command) => runCall('delete', { root: globals(cmd).root, id, binName, force: opts.force }));

  parent.command('run <id>').description('create and start a container, wait for it, delete it; exit with its code')
    .option('-b, --bundle <dir>', 'bundle directory', '.')
    .option('-d, --detach', 'return once it runs')
    .option('--pid-file <file>', 'write the init pid to FILE')
    .option('--console-socket <path>', 'a unix socket to receive the pty master')
    .option('--keep', 'do not delete the container when it exits')
    .option('--step', 'step through the lifecycle one syscall at a time in the TUI')
    .option('--tui', 'watch the lifecycle live in the TUI')
    .addOption(new Option('--no-pivot').hideHelp())
    .addOption(new Option('--no-new-keyring').hideHelp())
    .action(async (id: string, opts: { bundle: string; detach?: boolean; pidFile?: string; consoleSocket?: string; keep?: boolean; step?: boolean; tui?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      requireRoot(`${binName} run`);
      if (opts.step || opts.tui) {
        const { runUnderTuiFromCli } = await import('../tui-bridge.js');
        process.exitCode = await runUnderTuiFromCli(process.argv.slice(2), { step: opts.step ?? false, title: `oci run ${id}` });
        return;
      }
      process.exitCode = await runFromCli({
        root: g.root, id, binName, bundle: opts.bundle, pidFile: opts.pidFile, detach: opts.detach, keep: opts.keep, consoleSocket: opts.consoleSocket,
      });
    });

  parent.command('exec <id> [command...]').description('run another process in a running container (like runc exec): its namespaces, cgroups, user, capabilities and seccomp')
    .option('-p, --process <file>', 'a process.json (runtime-spec process) to run instead of COMMAND')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--cwd <dir>', 'working directory in the container')
    .option('-u, --user <uid[:gid]>', 'numeric user (and group) id')
    .option('-c, --cap <cap>', 'add a capability, e.g. CAP_NET_ADMIN (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--no-new-privs', 'set no_new_privs for the process')
    .option('-d, --detach', 'return once it runs')
    .option('--pid-file <file>', 'write its pid to FILE')
    .option('-t, --tty', 'a terminal: the caller\'s, or with --console-socket a new pty of the container')
    .option('--console-socket <path>', 'a unix socket to receive the pty master')
    .addOption(new Option('--preserve-fds <n>').hideHelp())
    .passThroughOptions()
    .action(async (id: string, command: string[], opts: {
      process?: string; env: string[]; cwd?: string; user?: string; cap: string[]; newPrivs?: boolean; detach?: boolean; pidFile?: string; consoleSocket?: string; tty?: boolean;
    }, cmd: Command) => {
      const g = globals(cmd);
      requireRoot(`${binName} exec`);
      process.exitCode = await execInContainer({
        root: g.root, id, args: command, processFile: opts.process && resolve(opts.process), env: opts.env, cwd: opts.cwd, user: opts.user,
        caps: opts.cap, noNewPrivileges: opts.newPrivs === false, detach: opts.detach, pidFile: opts.pidFile && resolve(opts.pidFile),
        controlFd: controlFdFromEnv(), tty: opts.tty, consoleSocket: opts.consoleSocket && resolve(opts.consoleSocket),
      });
    });

  parent.command('list').alias('ls').description('list containers')
    .option('-f, --format <format>', 'table or json', 'table')
    .option('-q, --quiet', 'ids only')
    .action((opts: { format: string; quiet?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const states = listStates(g.root);
      if (opts.quiet) {
        for (const s of states) writeOut(`${s.id}\n`);
      } else if (opts.format === 'json') {
        writeOut(JSON.stringify(states.map(ociState)) + '\n');
      } else {
        const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED'],
          ...states.map((s) => [s.id, String(s.status === 'stopped' ? 0 : s.pid), s.status, s.bundle, s.created])];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows) writeOut(r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd() + '\n');
      }
    });

  parent.command('pause <id>').description('freeze every process of the container (cgroup freezer)')
    .action((id: string, _opts: unknown, cmd: Command) => runCall('pause', { root: globals(cmd).root, id, binName }));

  parent.command('resume <id>').description('thaw a paused container')
    .action((id: string, _opts: unknown, cmd: Command) => runCall('resume', { root: globals(cmd).root, id, binName }));

  parent.command('update <id>').description('change a running container\'s limits (like runc update): JSON with -r, or the flags')
    .option('-r, --resources <file>', 'linux.resources JSON from FILE, or - for standard input (the other options are then ignored)')
    .option('--blkio-weight <n>', 'I/O weight (tslab refuses a non-zero one: not applied yet)')
    .option('--cpu-period <usec>', 'CPU CFS period')
    .option('--cpu-quota <usec>', 'CPU CFS quota per period (-1: none)')
    .option('--cpu-share <n>', 'CPU shares (relative weight)')
    .option('--cpu-rt-period <usec>', 'CPU realtime period')
    .option('--cpu-rt-runtime <usec>', 'CPU realtime runtime per period')
    .option('--cpuset-cpus <list>', 'CPUs to use, e.g. 0-1')
    .option('--cpuset-mems <list>', 'memory nodes to use')
    .option('--memory <bytes>', 'memory limit, e.g. 67108864 or 64m (-1: unlimited)')
    .option('--memory-reservation <bytes>', 'memory soft limit')
    .option('--memory-swap <bytes>', 'memory plus swap limit (-1: unlimited)')
    .option('--pids-limit <n>', 'maximum number of processes')
    .addOption(new Option('--kernel-memory <bytes>').hideHelp())
    .addOption(new Option('--kernel-memory-tcp <bytes>').hideHelp())
    .action(async (id: string, opts: UpdateFlags, cmd: Command) => {
      const g = globals(cmd);
      requireRoot(`${binName} update`);
      const { readResourcesArgument, resourcesFromFlags, updateContainer } = await import('../../runtime/lifecycle/update.js');
      await updateContainer(g.root, id, opts.resources ? readResourcesArgument(opts.resources) : resourcesFromFlags(opts));
    });

  parent.command('ps <id>').description('list the pids of the container\'s processes')
    .option('-f, --format <format>', 'table or json', 'table')
    .action((id: string, opts: { format: string }, cmd: Command) => {
      const g = globals(cmd);
      const pids = cgroupManager(readState(g.root, id).cgroupPath).pids();
      writeOut(opts.format === 'json' ? JSON.stringify(pids) + '\n' : pids.map((p) => `${p}\n`).join(''));
    });
}

export function registerOci(program: Command, binName: string): void {
  if (binName === 'tslab-runtime') {
    program.version(`tslab-runtime version ${VERSION}\ncommit: ${process.env[ENV.COMMIT] ?? commit()}\nspec: 1.2.0`, '-v, --version');
    addRuntimeCommands(program, binName);
    return;
  }
  const oci = program.command('oci').description('the OCI runtime, with runc\'s command line (create, start, state, kill, delete, run, …)');
  addRuntimeCommands(oci, 'tslab oci');
}
