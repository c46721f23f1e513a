// A process joining a running container (`exec`): a Node process started by the runtime in the
// container's pid namespace and cgroup, which joins the other namespaces itself and then becomes the
// requested program with the container's user, capabilities, no_new_privs and seccomp filter, like
// runc exec. Into a user namespace it cannot setns itself (Node is multithreaded): util-linux nsenter
// starts it there. See docs/process-model.md.
import { tracer } from '../../tracer/tracer.js';
import { compileSeccomp, type SeccompProfile } from '../sys/seccomp.js';
import { CONFIG_FD, ENV_CONSOLE_FD, type ExecConfig } from './config.js';
import { setUpConsole, takeControllingTerminal } from './console.js';
import { readAllAndClose } from './channel.js';
import { joinNamespaces } from './namespaces.js';
import { applyRlimits, becomeProgram, setgroupsAllowed } from './process.js';
import { openUpPipe, readyThenGo, runReportingFailure, startTracing } from './bootstrap.js';

function main(): void {
  startTracing('exec', openUpPipe());
  const config = JSON.parse(readAllAndClose(CONFIG_FD)) as ExecConfig;
  tracer.container = config.id;
  const proc = config.process;

  // Booted: the parent moves us into the container's cgroups, then says go.
  readyThenGo();

  // libseccomp lives on the host: compile the filter before the mount namespace hides it.
  const seccomp = config.seccomp ? compileSeccomp(config.seccomp as SeccompProfile) : undefined;
  joinNamespaces(config.joins);
  applyRlimits(proc);
  // exec --console-socket: a pty of the container's devpts (we are in its mount namespace now), as the init makes one
  const consoleFd = process.env[ENV_CONSOLE_FD];
  if (proc.terminal && consoleFd) {
    setUpConsole(Number(consoleFd), proc.consoleSize);
    takeControllingTerminal();
  }
  becomeProgram(proc, seccomp, setgroupsAllowed());
}

runReportingFailure(main);
