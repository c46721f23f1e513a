// --version of both programs: engines parse the runtime's ("… version X", "commit: …", "spec: …"),
// people read tslab's. The commit is the checkout's own. tslab runs from its bundle.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run, TSLAB, TSLAB_RUNTIME } from '../helpers/runtimes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const head = existsSync(`${ROOT}/.git`) ? execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim() : undefined;

describe('--version', () => {
  it('tslab-runtime: runc\'s three lines', async () => {
    const r = await run(TSLAB_RUNTIME, ['--version']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^tslab-runtime version \d+\.\d+\.\d+$/);
    expect(lines[1]).toMatch(/^commit: [0-9a-f]{40}|unknown$/);
    expect(lines[2]).toBe('spec: 1.2.0');
    if (head) expect(lines[1]).toBe(`commit: ${head}`);
  });

  it('tslab: its version and commit', async () => {
    const r = await run(TSLAB, ['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tslab version \d+\.\d+\.\d+\ncommit: /);
    if (head) expect(r.stdout).toContain(`commit: ${head}`);
  });

  it('tslab runs from its bundle dist/tslab.cjs (the build writes it), not from the modules in dist/src', async () => {
    // V8's coverage names every script the process compiled
    const dumps = mkdtempSync(join(tmpdir(), 'tslabt-version-'));
    try {
      const r = await run(TSLAB, ['--version'], { env: { ...process.env, NODE_V8_COVERAGE: dumps, TSLAB_UNBUNDLED: '' } });
      expect(r.code, r.stderr).toBe(0);
      const urls = readdirSync(dumps).flatMap((f) => (JSON.parse(readFileSync(join(dumps, f), 'utf8')) as { result: Array<{ url: string }> }).result.map((s) => s.url));
      const dist = pathToFileURL(join(ROOT, 'dist')).href;
      expect(urls).toContain(`${dist}/tslab.cjs`);
      expect(urls.filter((u) => u.startsWith(`${dist}/src/`))).toEqual([]);
    } finally {
      rmSync(dumps, { recursive: true, force: true });
    }
  });
});
