// --console-socket: with process.terminal, the container's pseudo-terminal goes to whoever listens
// on the unix socket (an engine: containerd, podman), as with runc. The runtime connects and hands
// the connected socket to the init, which makes the pty in the container's devpts and sends the
// master itself (init/console.ts); the runtime keeps nothing.
import { sys } from './sys/index.js';
import { AF_UNIX, SOCK_CLOEXEC, SOCK_STREAM } from './sys/flags.js';
import type { Spec } from '../oci/spec.js';

const SUN_PATH_MAX = 107;

function sockaddrUn(path: string): Buffer {
  const bytes = Buffer.from(path);
  if (bytes.length > SUN_PATH_MAX) throw new Error(`--console-socket ${path}: a unix socket path may have at most ${SUN_PATH_MAX} bytes`);
  const addr = Buffer.alloc(2 + SUN_PATH_MAX + 1);
  addr.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(addr, 2);
  return addr;
}

/** The option's rules, as runc has them: a console socket if and only if process.terminal. */
export function checkConsoleSocket(spec: Spec, consoleSocket: string | undefined, command: string): void {
  const terminal = spec.process?.terminal === true;
  if (consoleSocket && !terminal) {
    throw new Error('--console-socket is for a container with a terminal: set process.terminal to true in config.json, or drop the option');
  }
  if (terminal && !consoleSocket) {
    throw new Error(`process.terminal is true: ${command} needs --console-socket to hand the terminal to (or set "terminal": false; tslab oci run in the foreground gives you a terminal)`);
  }
}

/** A socket connected to the console socket, for the init to send the pty master on. */
export function connectConsoleSocket(socketPath: string): number {
  const fd = sys.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, `socket AF_UNIX SOCK_STREAM (for the console socket ${socketPath})`);
  try {
    sys.connect(fd, sockaddrUn(socketPath), `connect ${socketPath}`);
  } catch (err) {
    sys.close(fd);
    const errno = (err as { errno?: string }).errno ?? (err as Error).message;
    throw new Error(`--console-socket ${socketPath}: cannot connect (${errno}): nothing listens there; the engine must create and listen on it first`);
  }
  return fd;
}
