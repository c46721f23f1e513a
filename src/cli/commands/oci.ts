// The OCI runtime's command line, runc-compatible: `tslab oci <cmd>` and `tslab-runtime <cmd>`.
import { Command, Option } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultSpec } from '../../oci/spec.js';
import { DEFAULT_ROOT, listStates, ociState, readState, writeState } from '../../runtime/state.js';
import { createContainer } from '../../runtime/lifecycle/create.js';
import { startContainer } from '../../runtime/lifecycle/start.js';
import { killContainer, parseSignal } from '../../runtime/lifecycle/kill.js';
import { deleteContainer } from '../../runtime/lifecycle/delete.js';
import { runContainer } from '../../runtime/lifecycle/run.js';
import { execInContainer } from '../../runtime/lifecycle/exec.js';
import { controlFdFromEnv } from '../../runtime/lifecycle/in-process.js';
import { loadBundle } from '../../runtime/lifecycle/bundle.js';
import { checkConsoleSocket } from '../../runtime/console.js';
import { cgroupManager } from '../../runtime/cgroups/index.js';
import { requireRoot, UsageError } from '../../errors.js';
import { setLog } from '../log.js';
import { VERSION, commit } from '../version.js';

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
    .action(async (id: string, opts: { bundle: string; pidFile?: string; consoleSocket?: string }, cmd: Command) => {
      const g = globals(cmd);
      requireRoot(`${binName} create`);
      const loaded = loadBundle(opts.bundle);
      checkConsoleSocket(loaded.spec, opts.consoleSocket, `${binName} create`);
      const { init } = await createContainer({
        root: g.root, id, bundle: opts.bundle, pidFile: opts.pidFile && resolve(opts.pidFile), controlFd: controlFdFromEnv(), loaded,
        consoleSocket: opts.consoleSocket && resolve(opts.consoleSocket),
      });
      init.detach();
    });

  parent.command('start <id>').description('run the program of a created container')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      requireRoot(`${binName} start`);
      await startContainer(g.root, id);
    });

  parent.command('state <id>').description('print the OCI state of a container as JSON')
    .action((id: string, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      process.stdout.write(JSON.stringify(ociState(readState(g.root, id)), null, 2) + '\n');
    });

  parent.command('kill <id> [signal]').description('send a signal (default SIGTERM) to the container\'s init')
    .option('-a, --all', 'signal every process in the container')
    .action((id: string, signal: string | undefined, opts: { all?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      requireRoot(`${binName} kill`);
      killContainer(g.root, id, parseSignal(signal), opts.all);
    });

  parent.command('delete <id>').description('delete a stopped container (with --force, also a running one)')
    .option('-f, --force', 'kill it first if it runs')
    .action(async (id: string, opts: { force?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      requireRoot(`${binName} delete`);
      await deleteContainer(g.root, id, opts.force ?? false);
    });

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
      process.exitCode = await runContainer({
        root: g.root, id, bundle: opts.bundle, pidFile: opts.pidFile && resolve(opts.pidFile), detach: opts.detach,
        keep: opts.keep, controlFd: controlFdFromEnv(), consoleSocket: opts.consoleSocket && resolve(opts.consoleSocket),
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
    .option('-t, --tty', 'accepted: the process gets the caller\'s terminal, when it has one')
    .option('--console-socket <path>', 'a unix socket to receive the pty master')
    .addOption(new Option('--preserve-fds <n>').hideHelp())
    .passThroughOptions()
    .action(async (id: string, command: string[], opts: {
      process?: string; env: string[]; cwd?: string; user?: string; cap: string[]; newPrivs?: boolean; detach?: boolean; pidFile?: string; consoleSocket?: string; tty?: boolean;
    }, cmd: Command) => {
      const g = globals(cmd);
      requireRoot(`${binName} exec`);
      if (opts.consoleSocket) throw new UsageError('exec --console-socket: not supported yet; -t hands the process the caller\'s terminal');
      process.exitCode = await execInContainer({
        root: g.root, id, args: command, processFile: opts.process && resolve(opts.process), env: opts.env, cwd: opts.cwd, user: opts.user,
        caps: opts.cap, noNewPrivileges: opts.newPrivs === false, detach: opts.detach, pidFile: opts.pidFile && resolve(opts.pidFile),
        controlFd: controlFdFromEnv(), tty: opts.tty,
      });
    });

  parent.command('list').alias('ls').description('list containers')
    .option('-f, --format <format>', 'table or json', 'table')
    .option('-q, --quiet', 'ids only')
    .action((opts: { format: string; quiet?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const states = listStates(g.root);
      if (opts.quiet) {
        for (const s of states) process.stdout.write(`${s.id}\n`);
      } else if (opts.format === 'json') {
        process.stdout.write(JSON.stringify(states.map(ociState)) + '\n');
      } else {
        const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED'],
          ...states.map((s) => [s.id, String(s.status === 'stopped' ? 0 : s.pid), s.status, s.bundle, s.created])];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd() + '\n');
      }
    });

  parent.command('pause <id>').description('freeze every process of the container (cgroup freezer)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      requireRoot(`${binName} pause`);
      const state = readState(g.root, id);
      if (state.status !== 'running') throw new Error(`container "${id}" is ${state.status}: container not running`);
      await cgroupManager(state.cgroupPath).freeze();
      writeState(g.root, { ...state, paused: true });
    });

  parent.command('resume <id>').description('thaw a paused container')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      requireRoot(`${binName} resume`);
      const state = readState(g.root, id);
      if (state.status !== 'paused') throw new Error(`container "${id}" is ${state.status}, not paused`);
      await cgroupManager(state.cgroupPath).thaw();
      writeState(g.root, { ...state, paused: false, status: 'running' });
    });

  parent.command('ps <id>').description('list the pids of the container\'s processes')
    .option('-f, --format <format>', 'table or json', 'table')
    .action((id: string, opts: { format: string }, cmd: Command) => {
      const g = globals(cmd);
      const pids = cgroupManager(readState(g.root, id).cgroupPath).pids();
      process.stdout.write(opts.format === 'json' ? JSON.stringify(pids) + '\n' : pids.map((p) => `${p}\n`).join(''));
    });
}

export function registerOci(program: Command, binName: string): void {
  if (binName === 'tslab-runtime') {
    program.version(`tslab-runtime version ${VERSION}\ncommit: ${process.env.TSLAB_COMMIT ?? commit()}\nspec: 1.2.0`, '-v, --version');
    addRuntimeCommands(program, binName);
    return;
  }
  const oci = program.command('oci').description('the OCI runtime, with runc\'s command line (create, start, state, kill, delete, run, …)');
  addRuntimeCommands(oci, 'tslab oci');
}
