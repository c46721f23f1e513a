// Finer notes for one event: which prctl option, which cgroup file, which namespaces.
import type { TraceEvent } from '../tracer/event.js';
import { cgroupFileNotes } from './kernel-files.js';

const prctlNotes: Record<string, string> = {
  PR_SET_NO_NEW_PRIVS: 'No new privileges: from now on execve can never grant more privileges (setuid bits and file capabilities are ignored). Required before an unprivileged seccomp filter.',
  PR_CAPBSET_DROP: 'Removes one capability from the bounding set: no exec, not even of a setuid-root binary, can ever give it back.',
  PR_SET_PDEATHSIG: 'The kernel sends this signal when the parent dies, so an orphaned init does not run on unnoticed.',
  PR_SET_KEEPCAPS: 'Keeps the permitted capabilities across the uid change from 0 to non-zero.',
  PR_SET_DUMPABLE: 'Non-dumpable: /proc/<pid>/exe, fd/, environ, mem and ptrace need CAP_SYS_PTRACE over the host, and the /proc files belong to root. The init and the exec helper are non-dumpable from their first instruction (the runtime spawns them with its egid != rgid, which execve treats like a set-gid program) and say so again first thing and after every uid change: they are the host\'s node binary, holding the host\'s fds, inside the container\'s pid namespace.',
  PR_SET_NAME: 'Sets the thread name shown by ps and /proc/<pid>/comm.',
  PR_SET_CHILD_SUBREAPER: 'Makes this process adopt orphaned descendants, so the runtime can reap them.',
};

const ioctlNotes: Record<string, string> = {
  TIOCSCTTY: 'makes this terminal the controlling terminal of the session (needs setsid first).',
  TIOCSPTLCK: 'unlocks a new pseudo-terminal pair so that its slave side (/dev/pts/N) can be opened.',
  TIOCGPTN: 'asks which number N the new pseudo-terminal got (/dev/pts/N).',
  TIOCSWINSZ: 'sets the terminal\'s rows and columns, so full-screen programs in the container draw at the right size.',
};

const namespaceNotes: Record<string, string> = {
  CLONE_NEWNS: 'mount: private mount table',
  CLONE_NEWUTS: 'uts: own hostname and domain name',
  CLONE_NEWIPC: 'ipc: own System V IPC and POSIX message queues',
  CLONE_NEWPID: 'pid: children get their own pid numbering; the first becomes PID 1',
  CLONE_NEWNET: 'net: own interfaces, routes, firewall, ports',
  CLONE_NEWUSER: 'user: own uid/gid numbering and capabilities',
  CLONE_NEWCGROUP: 'cgroup: /proc/self/cgroup shows the container\'s cgroup as /',
  CLONE_NEWTIME: 'time: own CLOCK_MONOTONIC/BOOTTIME offsets',
  CLONE_FS: 'fs: unshares cwd/root/umask from other threads (needed before setns into a mount namespace)',
};

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

/** Notes specific to this event's arguments, shown below the step's explanation. */
export function eventNotes(event: Pick<TraceEvent, 'step' | 'args'>): string[] {
  const notes: string[] = [];
  const args = event.args ?? {};
  if (event.step === 'prctl' && typeof args.option === 'string') {
    const note = prctlNotes[args.option];
    if (note) notes.push(`${args.option}: ${note}`);
  }
  if (event.step === 'ioctl' && typeof args.request === 'string') {
    const note = ioctlNotes[args.request];
    if (note) notes.push(`${args.request}: ${note}`);
  }
  if ((event.step === 'unshare' || event.step === 'setns') && typeof (args.flags ?? args.nstype) === 'string') {
    for (const flag of String(args.flags ?? args.nstype).split('|')) {
      const note = namespaceNotes[flag];
      if (note) notes.push(`${flag} — ${note}`);
    }
  }
  if (event.step === 'cgroup.write' && typeof args.path === 'string') {
    const file = basename(args.path);
    const note = cgroupFileNotes[file];
    if (note) notes.push(`${file}: ${note}`);
  }
  return notes;
}
