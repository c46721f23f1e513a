// Which scripts a tslab process compiled: V8's coverage (NODE_V8_COVERAGE) names every one of them,
// so a test can tell whether the CLI ran from its bundle or which files a command loaded.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, TSLAB, type Result } from './runtimes.js';

export async function scriptsOf(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result & { urls: string[] }> {
  const dumps = mkdtempSync(join(tmpdir(), 'tslabt-scripts-'));
  try {
    // TSLAB_UNBUNDLED emptied: the CLI as users get it
    const r = await run(TSLAB, args, { env: { ...process.env, ...env, NODE_V8_COVERAGE: dumps, TSLAB_UNBUNDLED: '' } });
    const urls = readdirSync(dumps).flatMap((f) => (JSON.parse(readFileSync(join(dumps, f), 'utf8')) as { result: Array<{ url: string }> }).result.map((s) => s.url));
    return { ...r, urls };
  } finally {
    rmSync(dumps, { recursive: true, force: true });
  }
}
