// User-facing errors: one line naming what was wrong and what to do, and a non-zero exit.
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}

export function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new UsageError(`${what} needs root: run it with sudo (namespaces, mounts and cgroups are root-only here)`);
  }
}
