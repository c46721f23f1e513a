// The container's init: a Node process started by the runtime that acts on itself, step by step,
// until it becomes the container's program with execve. See docs/process-model.md.
import { constants, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tracer, fdSink } from '../../tracer/tracer.js';
import { CLONE, sys, writeKernelFile } from '../sys/index.js';
import { joinNamespaces } from './namespaces.js';
import type { Hook } from '../../oci/spec.js';
import { compileSeccomp, type SeccompProfile } from '../sys/seccomp.js';
import { CONFIG_FD, ENV_CONSOLE_FD, FIFO_FD, type InitConfig } from './config.js';
import { setUpConsole, takeControllingTerminal } from './console.js';
import { readAllAndClose, redirectUp, sendUp, waitForParent } from './channel.js';
import { enterRootfs, mountContainerFilesystems } from './rootfs.js';
import { applyRlimits, becomeProgram, setgroupsAllowed } from './process.js';
import { openUpPipe, readyThenGo, runReportingFailure, startTracing } from './bootstrap.js';

function runHooksInContainer(kind: string, hooks: Hook[] | undefined, state: string): void {
  if (!hooks?.length) return;
  // Loaded only for hooks: node:child_process (and the streams and net it pulls in) is ~6 ms of the
  // init's boot, which every container start waits for.
  const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  for (const hook of hooks) {
    tracer.step({ kind: 'hook', step: `hook.${kind}`, args: { path: hook.path, args: hook.args ?? [] }, summary: `hook ${kind} ${hook.path}` }, () => {
      const result = spawnSync(hook.path, (hook.args ?? []).slice(1), {
        argv0: hook.args?.[0] ?? hook.path,
        input: state,
        env: Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
        timeout: hook.timeout ? hook.timeout * 1000 : undefined,
        stdio: ['pipe', 'inherit', 'inherit'],
      });
      if (result.error) throw new Error(`${kind} hook ${hook.path} failed: ${result.error.message}`);
      if (result.status !== 0) throw new Error(`${kind} hook ${hook.path} exited with ${result.status ?? result.signal}`);
    });
  }
}

function sysctl(settings: Record<string, string> | undefined): void {
  for (const [key, value] of Object.entries(settings ?? {})) {
    if (key.includes('..') || key.includes('\0')) throw new Error(`linux.sysctl: "${key}" is not a sysctl name`);
    writeKernelFile(`/proc/sys/${key.replace(/\./g, '/')}`, value, 'sysctl.write', `sysctl ${key} = ${value}`);
  }
}

/**
 * Blocks until `start` opens exec.fifo for reading. The runtime stopped reading our pipe at created,
 * so when this fails the error can only reach a `start` reading the fifo: it is sent there if one
 * comes within ~0.2 s (a later start finds us gone at this step and says so).
 */
function openExecFifo(path: string): number {
  const fifo = `/proc/self/fd/${FIFO_FD}`;
  try {
    return tracer.step({ kind: 'syscall', step: 'open', args: { path, flags: 'O_WRONLY' },
      summary: 'open exec.fifo O_WRONLY (blocks until start)' }, () => openSync(fifo, 'w'));
  } catch (err) {
    const e = err as Error;
    e.message = `the init's open of exec.fifo, where it waits for start: ${e.message}`;
    // `run` opens its end right after created: give it a moment (ENXIO until a reader is there)
    for (let tries = 0; tries < 100; tries++) {
      try {
        redirectUp(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        break;
      } catch {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
      }
    }
    throw e;
  }
}

function main(): void {
  const up = openUpPipe();
  const config = JSON.parse(readAllAndClose(CONFIG_FD)) as InitConfig;
  startTracing('init', up, config.traceUp !== false);
  tracer.container = config.id;
  const { spec } = config;
  const proc = spec.process!;

  // 1. Tell the parent Node has booted; it says go, and moves us into the cgroup (see below).
  readyThenGo();

  // In a new user namespace we start as the overflow id with the caps the trampoline kept; now that
  // the parent has written our maps, become the namespace's root so files we make are owned by it.
  if (config.inUserNamespace) {
    sys.setresgid(0);
    sys.setresuid(0);
  }

  // 2. Namespaces: join those given by path, create the rest. The cgroup namespace waits: its root is
  // the cgroup we are in when we make it, and the parent is moving us into the container's right now.
  joinNamespaces(config.joins);
  const allButCgroup = config.unshareFlags & ~CLONE.CLONE_NEWCGROUP;
  if (allButCgroup !== 0) sys.unshare(allButCgroup);
  let inCgroup = false;
  const enterContainerCgroup = (): void => {
    if (inCgroup) return;
    inCgroup = true;
    waitForParent('joined');
    if (config.unshareFlags & CLONE.CLONE_NEWCGROUP) sys.unshare(CLONE.CLONE_NEWCGROUP);
  };
  // A hostname needs a uts namespace of the container's own: a new one, or one joined by path.
  const ownUts = (config.unshareFlags & CLONE.CLONE_NEWUTS) !== 0 || config.joins.some((j) => j.type === 'uts');
  if (spec.hostname !== undefined && ownUts) sys.sethostname(spec.hostname);
  if (spec.domainname !== undefined && ownUts) sys.setdomainname(spec.domainname);

  // 3. The filesystem: everything happens inside our own mount namespace. A cgroup filesystem shows
  // the cgroup namespace's root: the container's cgroup, once we are in it.
  mountContainerFilesystems(config, enterContainerCgroup);
  enterContainerCgroup();

  // createRuntime hooks run in the parent, createContainer hooks here, both before pivot_root.
  sendUp({ msg: 'mounted' });
  const stateForHooks = JSON.stringify(waitForParent('hook-state').state);
  runHooksInContainer('createContainer', spec.hooks?.createContainer, stateForHooks);

  // libseccomp lives on the host: compile the filter while we can still see it.
  const seccomp = spec.linux?.seccomp ? compileSeccomp(spec.linux.seccomp as SeccompProfile) : undefined;
  // sysctls before the read-only paths: /proc/sys becomes read-only with them.
  enterRootfs(spec, config.rootfs, () => sysctl(spec.linux?.sysctl));
  applyRlimits(proc);
  const consoleFd = process.env[ENV_CONSOLE_FD];
  if (proc.terminal && consoleFd) setUpConsole(Number(consoleFd), proc.consoleSize);

  // 4. Created: wait for `start`, which opens the fifo for reading. From then on our events go to it.
  sendUp({ msg: 'created' });
  const fifo = openExecFifo(config.fifo);
  redirectUp(fifo);
  // A writer that execs before the reader polls again would look like none at all: say so first
  sendUp({ msg: 'opened' });
  tracer.clearSinks();
  if (config.traceUp !== false) tracer.addSink(fdSink(fifo));
  runHooksInContainer('startContainer', spec.hooks?.startContainer, stateForHooks);

  // 5. Become the container's process. With a terminal, the pty slave on fd 0 becomes our
  // controlling terminal (we are a session leader: spawned detached, or setsid here).
  if (proc.terminal) takeControllingTerminal();
  becomeProgram(proc, seccomp, !config.inUserNamespace || setgroupsAllowed());
}

runReportingFailure(main);
