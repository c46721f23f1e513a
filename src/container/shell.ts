// Shell scripts on the host and inside a running container, with a deadline and bounded output.
// Inside: a host shell waits on fd 3 while it is moved into the container's cgroups (a traced write
// per cgroup.procs file), then execs `nsenter -t <init> -a` into every namespace and the root of the
// container. So commands inside are counted against the container's limits, like `runc exec`, for
// every runtime alike (and need no runtime that can exec).
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { writeKernelFile } from '../runtime/sys/index.js';

/** What a script printed and how it ended. */
export interface CommandResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** stdout with surrounding whitespace trimmed */
  out: string;
  /** stdout and stderr together, in the order their chunks arrived (as a terminal would show them) */
  output?: string;
}

const MAX_OUTPUT = 1 << 20;
export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface RunOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** before the script may start: the child's pid is known and it is blocked on fd 3 */
  beforeGo?: (pid: number) => void;
}

export class CommandTimeout extends Error {}

function runShell(args: string[], options: RunOptions): Promise<CommandResult> {
  const gated = options.beforeGo !== undefined;
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', args, {
      stdio: gated ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
      env: { PATH: CONTAINER_PATH, HOME: '/root', LANG: 'C', ...options.env },
      detached: true, // its own process group, so a timeout ends the whole command
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString();
      if (output.length < 2 * MAX_OUTPUT) output += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString();
      if (output.length < 2 * MAX_OUTPUT) output += d.toString();
    });
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new CommandTimeout(`did not finish within ${timeoutMs} ms (output so far: ${(stdout + stderr).trim().slice(-200) || 'none'})`));
        return;
      }
      resolve({ code, signal, stdout, stderr, out: stdout.trim(), output });
    });
    if (gated) {
      const go = child.stdio[3] as Writable;
      try {
        options.beforeGo!(child.pid!);
        go.end('go\n');
      } catch (err) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        go.destroy();
        reject(err);
      }
    }
  });
}

export function runOutside(script: string, options: RunOptions = {}): Promise<CommandResult> {
  return runShell(['-c', script], options);
}

const TRAMPOLINE = 'read _ <&3; exec 3<&-; exec nsenter -t "$1" -a -- /bin/sh -c "$2"';

export function runInside(pid: number, procsFiles: string[], script: string, options: RunOptions = {}): Promise<CommandResult> {
  return runShell(['-c', TRAMPOLINE, 'tslab-inside', String(pid), script], {
    ...options,
    beforeGo: (child) => {
      for (const file of procsFiles) writeKernelFile(file, String(child), 'cgroup.write', `write cgroup.procs = ${child} (lab command joins ${file})`);
    },
  });
}

/**
 * An interactive shell in the container, the way lab commands get in (its cgroups first, then every
 * namespace and its root): `tslab lab shell`. Resolves to the shell's exit code.
 */
export function shellInside(pid: number, procsFiles: string[], prompt: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', TRAMPOLINE, 'tslab-shell', String(pid), 'exec /bin/sh -i'], {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      env: { PATH: CONTAINER_PATH, HOME: '/root', LANG: 'C', TERM: process.env.TERM ?? 'xterm', PS1: prompt },
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 1)));
    const go = child.stdio[3] as Writable;
    try {
      for (const file of procsFiles) writeKernelFile(file, String(child.pid), 'cgroup.write', `write cgroup.procs = ${child.pid} (lab shell joins ${file})`);
      go.end('go\n');
    } catch (err) {
      child.kill('SIGKILL');
      reject(err);
    }
  });
}
