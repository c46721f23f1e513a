// OCI hooks run by the runtime process (createRuntime, poststart, poststop, and the old prestart):
// each gets the container's state JSON on stdin.
import { spawn } from 'node:child_process';
import type { Hook } from '../../oci/spec.js';
import { tracer } from '../../tracer/tracer.js';

/**
 * Runs hooks in order. By default the first failure stops and throws (createRuntime, prestart);
 * with warnOnly (poststart, poststop) a failure is a warning and the rest still run.
 */
export async function runHooks(kind: string, hooks: Hook[] | undefined, state: Record<string, unknown>,
  options: { warnOnly?: boolean } = {}): Promise<void> {
  for (const hook of hooks ?? []) {
    try {
      await tracer.stepAsync({ kind: 'hook', step: `hook.${kind}`, args: { path: hook.path, args: hook.args ?? [] },
        summary: `hook ${kind} ${hook.path}` }, () => runHook(kind, hook, state));
    } catch (err) {
      if (!options.warnOnly) throw err;
      process.stderr.write(`warning: ${(err as Error).message}\n`);
    }
  }
}

function runHook(kind: string, hook: Hook, state: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const child = spawn(hook.path, (hook.args ?? []).slice(1), {
      argv0: hook.args?.[0] ?? hook.path,
      env,
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    let timer: NodeJS.Timeout | undefined;
    if (hook.timeout) {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${kind} hook ${hook.path} timed out after ${hook.timeout}s`));
      }, hook.timeout * 1000);
    }
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`${kind} hook ${hook.path} could not start: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${kind} hook ${hook.path} exited with ${code ?? signal}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify(state));
  });
}
