// process.terminal: the init makes the pseudo-terminal itself, after pivot_root, from the container's
// own devpts (/dev/ptmx), so that inside, ttyname() finds /dev/pts/N. It hands the master over a unix
// socket (to the runtime, which relays it, or to an engine's --console-socket) and makes the slave
// its stdio; it becomes the controlling terminal just before execve.
import { closeSync } from 'node:fs';
import type { ConsoleSize } from '../../oci/spec.js';
import { sys } from '../sys/index.js';
import { openPty, setWindowSize } from '../terminal.js';

export function setUpConsole(consoleFd: number, size: ConsoleSize | undefined): void {
  const pty = openPty();
  if (size) setWindowSize(pty.master, size.height, size.width);
  sys.sendFd(consoleFd, Buffer.from(pty.slavePath), pty.master, `sendmsg SCM_RIGHTS: the pty master (${pty.slavePath}) to whoever holds the console`);
  closeSync(pty.master);
  closeSync(consoleFd);
  for (const fd of [0, 1, 2]) sys.dup2(pty.slave, fd, `dup3 ${pty.slavePath} → fd ${fd} (the terminal becomes stdin, stdout, stderr)`);
  if (pty.slave > 2) closeSync(pty.slave);
}

/** The pty slave on fd 0 becomes our controlling terminal: a session leader's (spawned detached, or setsid here). */
export function takeControllingTerminal(): void {
  try {
    sys.setsid();
  } catch {
    // already a session leader
  }
  sys.setControllingTty(0);
}
