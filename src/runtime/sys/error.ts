import { hintFor } from './errno.js';
import type { ArgValue } from '../../tracer/event.js';

/** A failed libc call: the call, its decoded arguments, the errno name and a hint. */
export class SysError extends Error {
  readonly call: string;
  readonly args: Record<string, ArgValue>;
  readonly errno: string;
  readonly hint: string | undefined;

  constructor(call: string, args: Record<string, ArgValue>, errno: string) {
    const hint = hintFor(call, errno);
    const shown = Object.values(args)
      .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
      .join(', ');
    super(`${call}(${shown}) failed: ${errno}${hint ? ` (${hint})` : ''}`);
    this.name = 'SysError';
    this.call = call;
    this.args = args;
    this.errno = errno;
    this.hint = hint;
  }
}
