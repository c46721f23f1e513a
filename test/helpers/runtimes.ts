// Runs a runc-compatible runtime (ours or runc) the way an engine would: as a subprocess.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

export const TSLAB_RUNTIME = fileURLToPath(new URL('../../bin/tslab-runtime', import.meta.url));
export const TSLAB = fileURLToPath(new URL('../../bin/tslab', import.meta.url));

export function runcPath(): string | undefined {
  for (const p of ['/usr/sbin/runc', '/usr/bin/runc']) if (existsSync(p)) return p;
  return undefined;
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    // `create` leaves the container holding our pipes (runc does the same): settle on exit, after
    // the output already written has been read.
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      setTimeout(() => resolve({ code: code ?? 128 + (signal ? 9 : 0), stdout, stderr }), 20);
    });
    child.stdin.on('error', () => {}); // the program may exit without reading its input
    child.stdin.end(options.input ?? '');
  });
}

export interface Runtime {
  name: string;
  path: string;
  root: string;
}

// polling with a deadline, as the labs do it
export { waitFor } from '../../src/labs/wait.js';
