// Drives any runc-compatible runtime through its command line: the same calls for runc, crun and
// ours, so a lab is also a conformance test of the runtime under it.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: dist/src/labs → three levels up; src/labs (vitest) → two; the CLI bundle dist/ → one. */
export function packageRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const up of ['../../..', '../..', '..']) {
    const root = resolve(here, up);
    if (existsSync(join(root, 'package.json')) && existsSync(join(root, 'bin'))) return root;
  }
  return resolve(here, '../../..');
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).concat(['/usr/sbin', '/sbin'])) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `tslab` / `ours` / unset → bin/tslab-runtime; a bare name → found on PATH; a path → itself. */
export function resolveRuntime(name: string | undefined): string {
  if (!name || name === 'tslab' || name === 'ours' || name === 'tslab-runtime') {
    return join(packageRoot(), 'bin', 'tslab-runtime');
  }
  if (name.includes('/')) {
    const path = isAbsolute(name) ? name : resolve(name);
    if (!existsSync(path)) throw new Error(`runtime ${name} does not exist`);
    return path;
  }
  const found = onPath(name);
  if (!found) throw new Error(`runtime "${name}" is not on PATH (give a path with --runtime)`);
  return found;
}

/** A runtime command that takes longer is killed: generous, for slow CI machines (a VM without KVM). */
export const RUNTIME_TIMEOUT_MS = 90_000;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class RuntimeCli {
  /** traceFile: where a tslab runtime appends its trace events (TSLAB_TRACE); other runtimes ignore it */
  constructor(readonly path: string, readonly root: string, readonly traceFile?: string) {}

  /** Runs `runtime --root ROOT args…`; stdio of the container process goes to `outputFd` when given. */
  run(args: string[], options: { outputFd?: number; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolvePromise, reject) => {
      const out = options.outputFd;
      const child = spawn(this.path, ['--root', this.root, ...args], {
        stdio: out === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', out, out],
        env: { ...process.env, TSLAB_TRACE: this.traceFile } as NodeJS.ProcessEnv,
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
      const timeoutMs = options.timeoutMs ?? RUNTIME_TIMEOUT_MS;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('error', (err) => { clearTimeout(timer); reject(err); });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (timedOut) stderr += `(did not finish within ${timeoutMs / 1000} s: killed)`;
        resolvePromise({ code, stdout, stderr });
      });
    });
  }

  async mustRun(what: string, args: string[], options: { outputFd?: number; timeoutMs?: number } = {}): Promise<RunResult> {
    const result = await this.run(args, options);
    if (result.code !== 0) {
      const said = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
      throw new Error(`${what} failed: ${this.path} ${args.join(' ')} exited ${result.code ?? '(killed)'}${said ? `: ${said}` : ''}`);
    }
    return result;
  }

  async state(id: string): Promise<{ status: string; pid: number } | undefined> {
    const result = await this.run(['state', id]);
    if (result.code !== 0) return undefined;
    try {
      return JSON.parse(result.stdout) as { status: string; pid: number };
    } catch {
      return undefined;
    }
  }
}
