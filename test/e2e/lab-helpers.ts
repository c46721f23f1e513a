// Shared by the lab tests: run bin/tslab as a user would, read JUnit back, list leftovers by prefix.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { leftovers } from '../helpers/leftovers.js';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const TSLAB = resolve(ROOT, 'bin/tslab');
export const RUNTIMES = resolve(ROOT, 'test/fixtures/runtimes');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/tslab with args from the repository root (so `labs/` is the curriculum). */
export function tslab(args: string[], timeoutMs = 300_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TSLAB, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export interface JunitCase {
  suite: string;
  name: string;
  status: 'pass' | 'failure' | 'error' | 'skipped';
  message?: string;
}

const unescape = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** The test cases of a JUnit file written by `tslab test --reporter junit`. */
export function readJunit(file: string): JunitCase[] {
  const xml = readFileSync(file, 'utf8');
  const cases: JunitCase[] = [];
  for (const suite of xml.split('<testsuite ').slice(1)) {
    const suiteName = unescape(/^name="([^"]*)"/.exec(suite)?.[1] ?? '');
    for (const tc of suite.split('<testcase ').slice(1)) {
      const name = unescape(/ name="([^"]*)"/.exec(tc)?.[1] ?? '');
      const body = tc.split('</testcase>')[0] ?? '';
      const failure = /<(failure|error|skipped)[^>]*message="([^"]*)"/.exec(body);
      cases.push({
        suite: suiteName, name,
        status: failure ? (failure[1] as 'failure' | 'error' | 'skipped') : 'pass',
        message: failure ? unescape(failure[2]!) : undefined,
      });
    }
  }
  return cases;
}

/** What a run with this name prefix left behind (mounts, cgroups, links, netns). */
export function leftoversOf(prefix: string): string[] {
  return leftovers().filter((l) => l.includes(prefix));
}
