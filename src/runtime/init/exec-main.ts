// A process joining a running container (`exec`): a Node process started by the runtime in the
// container's pid namespace and cgroup, which joins the other namespaces itself and then becomes the
// requested program with the container's user, capabilities, no_new_privs and seccomp filter, like
// runc exec. Joining by setns cannot follow the container into a user namespace (Node is
// multithreaded): the runtime refuses those. See docs/process-model.md.
import { readFileSync } from 'node:fs';
import { tracer, fdSink, ENV_CONTROL_FD } from '../../tracer/tracer.js';
import { sys } from '../sys/index.js';
import { compileSeccomp, type SeccompProfile } from '../sys/seccomp.js';
import { EVENTS_FD, type ExecConfig } from './config.js';
import { UP_FD, sendUp, waitForParent } from './channel.js';
import { joinNamespaces } from './namespaces.js';
import { applyRlimits, becomeUser, cleanSlate, dropBoundingSet, resolveProgram, setNoNewPrivileges } from './process.js';

function main(): void {
  tracer.stage = 'exec';
  tracer.addSink(fdSink(UP_FD));
  if (process.env.TSLAB_EVENTS_FD) tracer.addSink(fdSink(EVENTS_FD), { direct: true });
  const controlFd = process.env[ENV_CONTROL_FD];
  if (controlFd) tracer.setControlFd(Number(controlFd));
  tracer.setFaults(process.env.TSLAB_FAULT);
  const config = JSON.parse(readFileSync(process.env.TSLAB_EXEC_CONFIG!, 'utf8')) as ExecConfig;
  tracer.container = config.id;
  const proc = config.process;

  // Booted: the parent moves us into the container's cgroup, then says go with our host pid.
  sendUp({ msg: 'ready' });
  const go = waitForParent();
  if (!go?.startsWith('go')) process.exit(1);
  const hostPid = Number(go.split(' ')[1]);
  if (hostPid > 0) tracer.setHostPid(hostPid);

  // libseccomp lives on the host: compile the filter before the mount namespace hides it.
  const seccomp = config.seccomp ? compileSeccomp(config.seccomp as SeccompProfile) : undefined;
  joinNamespaces(config.joins);
  applyRlimits(proc);
  dropBoundingSet(proc);
  cleanSlate();
  if (seccomp && !proc.noNewPrivileges) seccomp.load();
  becomeUser(proc, true);
  setNoNewPrivileges(proc);
  if (proc.user.umask !== undefined) sys.umask(proc.user.umask);
  sys.chdir(proc.cwd);
  const env = proc.env ?? [];
  const program = resolveProgram(proc.args![0]!, env);
  if (seccomp && proc.noNewPrivileges) seccomp.load();
  sys.execve(program, proc.args!, env);
}

try {
  main();
} catch (err) {
  const e = err as Error & { errno?: string };
  sendUp({ msg: 'error', error: e.message, ...(e.errno ? { errno: e.errno } : {}) });
  process.exit(e.errno === 'ENOENT' && /executable file not found|execve/.test(e.message) ? 127 : 1);
}
