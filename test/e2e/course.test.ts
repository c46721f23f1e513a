// The course as a student meets it: `tslab lab list` in course order with completed marks, and
// `tslab run --next` moving on after a lab passes. Progress goes to a scratch XDG_STATE_HOME.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftoversOf, ROOT, TSLAB, type CliResult } from './lab-helpers.js';

const state = mkdtempSync(join(tmpdir(), 'tslabt-course-e2e-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

function tslab(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSLAB, ...args], { cwd: ROOT, env: { ...process.env, XDG_STATE_HOME: state }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const labLines = (out: string): string[] => out.split('\n').filter((l) => /^\s*\d+ /.test(l));

describe('the course', () => {
  it('lab list starts with the foundations; run --next runs the first lab not done, then the next', async () => {
    const list = await tslab(['lab', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toBe('foundations');
    expect(labLines(list.stdout)[0]).toMatch(/^\s+1 {3}foundations\/one-kernel\s+One kernel: a container is a process of the host, not a machine$/);
    expect(labLines(list.stdout)[1]).toMatch(/^\s+2 {3}foundations\/lifecycle\s+.*\(after foundations\/one-kernel\)$/);
    expect(list.stdout).not.toContain('✓');

    const first = await tslab(['run', '--next', '--runtime', 'runc', '--name-prefix', 'tslabt-course-']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stderr).toContain('next in the course: 1. foundations/one-kernel');
    expect(first.stdout).toContain('Lab foundations/one-kernel');
    expect(existsSync(join(state, 'tslab', 'progress.json'))).toBe(true);

    const after = await tslab(['lab', 'list']);
    expect(labLines(after.stdout)[0]).toMatch(/^\s+1 ✓ foundations\/one-kernel/);
    expect(labLines(after.stdout)[1]).not.toContain('(after');

    const second = await tslab(['run', '--next', '--runtime', 'runc', '--name-prefix', 'tslabt-course-']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stderr).toContain('next in the course: 2. foundations/lifecycle');
    expect(leftoversOf('tslabt-course-')).toEqual([]);

    const both = await tslab(['run', 'uts-namespace', '--next']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('give a lab or --next, not both');
  }, 180_000);
});
