// Pseudo-terminals: the init opens one in the container's devpts when process.terminal is true
// (init/console.ts), and `run` in the foreground relays between our stdio and its master.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import tty from 'node:tty';
import { sys } from './sys/index.js';

const TIOCGPTN = 0x80045430;
const TIOCSPTLCK = 0x40045431;
const TIOCSWINSZ = 0x5414;

export interface Pty {
  master: number;
  slave: number;
  slavePath: string;
}

export function openPty(): Pty {
  const master = openSync('/dev/ptmx', constants.O_RDWR | constants.O_NOCTTY);
  const unlock = Buffer.alloc(4);
  sys.ioctlBuffer(master, TIOCSPTLCK, 'TIOCSPTLCK', unlock);
  const num = Buffer.alloc(4);
  sys.ioctlBuffer(master, TIOCGPTN, 'TIOCGPTN', num);
  const slavePath = `/dev/pts/${num.readUInt32LE(0)}`;
  const slave = openSync(slavePath, constants.O_RDWR | constants.O_NOCTTY);
  return { master, slave, slavePath };
}

export function setWindowSize(fd: number, rows: number, cols: number): void {
  const ws = Buffer.alloc(8);
  ws.writeUInt16LE(rows, 0);
  ws.writeUInt16LE(cols, 2);
  sys.ioctlBuffer(fd, TIOCSWINSZ, 'TIOCSWINSZ', ws);
}

/** Copies our stdin to the master and the master to our stdout; raw mode while it lasts. */
export function relayPty(master: number): { done: Promise<void>; close: () => void } {
  // The master is a tty to libuv (net.Socket refuses it): read it as a tty stream, write it directly.
  const stream = new tty.ReadStream(master);
  const stdin = process.stdin;
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  if (stdin.isTTY) stdin.setRawMode(true);
  const resize = (): void => {
    if (process.stdout.isTTY) setWindowSize(master, process.stdout.rows, process.stdout.columns);
  };
  resize();
  process.stdout.on('resize', resize);
  const toMaster = (chunk: Buffer): void => {
    try {
      writeSync(master, chunk);
    } catch {
      // the container closed its terminal
    }
  };
  stdin.on('data', toMaster);
  stdin.resume();
  stream.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  const done = new Promise<void>((resolve) => {
    stream.on('error', () => resolve()); // EIO when the last slave fd closes
    stream.on('close', () => resolve());
  });
  return {
    done,
    close: () => {
      stdin.off('data', toMaster);
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stdout.off('resize', resize);
      stream.destroy();
    },
  };
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
