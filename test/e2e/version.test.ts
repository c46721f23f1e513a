// --version of both programs: engines parse the runtime's ("… version X", "commit: …", "spec: …"),
// people read tslab's. The commit is the checkout's own.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
});
