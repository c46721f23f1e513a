// --version of both programs: engines parse the runtime's ("… version X", "commit: …", "spec: …"),
// people read tslab's. The commit is the checkout's own. tslab runs from its bundle (and what it loads).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run, TSLAB, TSLAB_RUNTIME } from '../helpers/runtimes.js';
import { scriptsOf } from '../helpers/scripts.js';

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
    const r = await scriptsOf(['--version']);
    expect(r.code, r.stderr).toBe(0);
    const dist = pathToFileURL(join(ROOT, 'dist')).href;
    expect(r.urls).toContain(`${dist}/tslab.cjs`);
    expect(r.urls.filter((u) => u.startsWith(`${dist}/src/`))).toEqual([]);
  });

  it('tslab lab list takes the shipped labs\' titles from the build\'s index: it loads no lab, nor the TypeScript compiler', async () => {
    const r = await scriptsOf(['lab', 'list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/foundations\/one-kernel +One kernel/);
    expect(r.urls.filter((u) => /\/labs\/.*\/lab\.[mc]?[jt]s$/.test(u))).toEqual([]);
    expect(r.urls.filter((u) => u.includes('/node_modules/typescript/'))).toEqual([]);
  });
});
