// The OCI runtime as a subprocess with runc's command line: tslab's own (bin/tslab-runtime) by
// default, or any other (runc, crun) through --runtime or the config's "runtime".
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tslab') return dir;
      } catch {
        // keep looking
      }
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the tslab package root (package.json) above this module');
}

export function defaultRuntimePath(): string {
  return join(packageRoot(), 'bin', 'tslab-runtime');
}

function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = join(dir, program);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** An absolute path for a runtime given as a path or a program name (runc, crun). */
export function resolveRuntime(given: string | undefined): string {
  if (!given) return defaultRuntimePath();
  const path = given.includes('/') ? given : onPath(given);
  if (!path || !existsSync(path)) throw new UsageError(`runtime "${given}" not found: give a path such as /usr/sbin/runc`);
  return path;
}

export class Runtime {
  readonly root: string;
  constructor(readonly path: string, dataRoot: string) {
    // each runtime keeps its own state folder: their formats differ
    this.root = join(dataRoot, 'runtime', basename(path));
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
  }

  args(...rest: string[]): string[] {
    return ['--root', this.root, ...rest];
  }

  /** Runs a short runtime command and returns its output; throws with its stderr on failure. */
  run(args: string[], what: string): string {
    const r = spawnSync(this.path, this.args(...args), { encoding: 'utf8', env: runtimeEnv() });
    if (r.error) throw new Error(`${what}: cannot run ${this.path}: ${r.error.message}`);
    if (r.status !== 0) {
      const err = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
      throw new Error(`${what}: ${basename(this.path)} failed: ${err.replace(/^time="[^"]*" level=error msg="?/, '').replace(/"$/, '')}`);
    }
    return r.stdout;
  }

  state(id: string): { status: string; pid?: number } | undefined {
    const r = spawnSync(this.path, this.args('state', id), { encoding: 'utf8', env: runtimeEnv() });
    if (r.status !== 0) return undefined;
    try {
      return JSON.parse(r.stdout) as { status: string; pid?: number };
    } catch {
      return undefined;
    }
  }

  kill(id: string, signal: string): void {
    this.run(['kill', id, signal.replace(/^SIG/, '')], `sending ${signal}`);
  }

  deleteForce(id: string): void {
    // runc, crun and ours keep a container's state in ROOT/ID: without it there is nothing to
    // delete, and no runtime process to start (a foreground run deleted it already)
    if (!existsSync(join(this.root, id))) return;
    spawnSync(this.path, this.args('delete', '--force', id), { stdio: 'ignore', env: runtimeEnv() });
  }

  spawnRun(bundle: string, id: string, stdio: 'inherit' | ['inherit' | 'ignore', 'pipe' | 'inherit', 'pipe' | 'inherit']): ReturnType<typeof spawn> {
    return spawn(this.path, this.args('run', '--bundle', bundle, id), { stdio, env: runtimeEnv() });
  }
}

/** A small, predictable environment for the runtime (NODE_OPTIONS and friends slow Node down). */
export function runtimeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  for (const key of ['TSLAB_TRACE', 'TSLAB_DEBUG', 'TSLAB_FAULT', 'TERM', 'HOME']) if (process.env[key]) env[key] = process.env[key];
  return env;
}

/**
 * Under `--tui`/`--step` this process writes events to TSLAB_EVENTS_FD and waits for 'g' on
 * TSLAB_CONTROL_FD. The runtime processes it starts emit steps too, so they get both pipes, at
 * `firstFd` and the next fd of the child, and the environment that names them.
 */
export function traceFds(firstFd: number): { stdio: Array<number | 'ignore'>; env: NodeJS.ProcessEnv } {
  const events = process.env.TSLAB_EVENTS_FD;
  const control = process.env.TSLAB_CONTROL_FD;
  if (!events || !/^\d+$/.test(events)) return { stdio: [], env: {} };
  const env: NodeJS.ProcessEnv = { TSLAB_EVENTS_FD: String(firstFd) };
  const stdio: Array<number | 'ignore'> = [Number(events)];
  if (control && /^\d+$/.test(control)) {
    stdio.push(Number(control));
    env.TSLAB_CONTROL_FD = String(firstFd + 1);
  }
  return { stdio, env };
}
