// `tslab trace report|export|view` as a user runs them, and the report opened in headless Debian
// Chromium (playwright-core): the player loads, its chapter markers are the trace's lifecycle
// steps, the step table explains every step, and a screenshot is taken.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { sampleTrace } from '../../src/tui/sample-trace.js';
import { parseTrace } from '../../src/tracer/event.js';
import { makeBundle, uniqueId } from '../helpers/bundle.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const TSLAB = join(ROOT, 'bin/tslab');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let work: string;
let traceFile: string;
let reportDir: string;
let context: BrowserContext | undefined;
let server: Server | undefined;

function tslab(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TSLAB, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (listed in .ci/run)`);
  work = mkdtempSync(join(tmpdir(), 'tslabt-report-'));
  traceFile = join(work, 'run.jsonl');
  writeFileSync(traceFile, sampleTrace({ failAt: 'pivot_root', container: 'tslabt-report' }).map((e) => JSON.stringify(e)).join('\n') + '\n');
  reportDir = join(work, 'report');
});

afterAll(async () => {
  try {
    await context?.close();
  } finally {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    rmSync(work, { recursive: true, force: true });
  }
});

async function browser(): Promise<BrowserContext> {
  context ??= await chromium.launchPersistentContext(mkdtempSync(join(work, 'chromium-profile-')), {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 },
  });
  return context;
}

async function openReport(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // the report must need no network: any request that is not to the report itself fails the test
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith('file://') && !u.startsWith('http://127.0.0.1') && !u.startsWith('data:') && !u.startsWith('blob:')) errors.push(`network request: ${u}`);
  });
  await page.goto(url);
  await page.waitForSelector('body[data-player]', { timeout: 20_000 });
  return { page, errors };
}

describe('tslab trace report', () => {
  it('writes a self-contained folder', () => {
    const r = tslab(['trace', 'report', traceFile, '-o', reportDir, '--title', 'tslabt demo run']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(join(reportDir, 'index.html'));
    for (const f of ['index.html', 'recording.cast', 'trace.jsonl', 'trace.chrome.json', 'asciinema-player.min.js',
      'asciinema-player-ui.min.js', 'asciinema-player-worker.min.js', 'asciinema-player.css']) {
      expect(statSync(join(reportDir, f)).size, f).toBeGreaterThan(0);
    }
    const html = readFileSync(join(reportDir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from the network
  });

  it('opens from disk in Chromium: the player loads, markers are the lifecycle steps, steps are explained', async () => {
    const { page, errors } = await openReport(`file://${reportDir}/index.html`);
    const state = await page.evaluate(() => ({
      player: document.body.dataset.player,
      mode: (window as unknown as { tslabReport: { mode: string; error: string | null } }).tslabReport.mode,
      error: (window as unknown as { tslabReport: { error: string | null } }).tslabReport.error,
    }));
    expect(state).toEqual({ player: 'ready', mode: 'inline', error: null });
    const lifecycle = parseTrace(readFileSync(traceFile, 'utf8')).filter((e) => e.kind === 'lifecycle' && e.phase === 'end').map((e) => e.step.replace('state.', ''));
    await page.waitForFunction((n) => document.querySelectorAll('.ap-marker-container').length === n, lifecycle.length, { timeout: 20_000 });
    const tooltips = await page.$$eval('.ap-marker-container .ap-tooltip', (els) => els.map((e) => e.textContent ?? ''));
    expect(tooltips.map((t) => t.replace(/^[\d:]+ - /, ''))).toEqual(lifecycle);
    // the terminal shows the steps (the poster is the recording's last frame)
    await page.waitForFunction(() => (document.querySelector('.ap-term')?.textContent ?? '').includes('end of trace'), null, { timeout: 20_000 });
    const term = await page.$eval('.ap-term', (el) => el.textContent ?? '');
    expect(term).toContain('pivot_root . . → EPERM');
    // the table: one row per step, the failure marked, explanations present
    const steps = await page.$$eval('#steps tbody tr', (rows) => rows.map((r) => ({ step: r.getAttribute('data-step'), cls: r.className, text: r.textContent ?? '' })));
    expect(steps).toHaveLength(32);
    const pivot = steps.find((s) => s.step === 'pivot_root')!;
    expect(pivot.cls).toBe('failed');
    expect(pivot.text).toContain('Swap the root filesystem');
    expect(steps.filter((s) => s.text.includes('no explanation yet'))).toEqual([]);
    expect(await page.$$eval('#timeline rect', (r) => r.length)).toBe(32 - lifecycle.length);
    const shot = join(reportDir, 'screenshot.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('served over HTTP it runs the split player with its worker beside the page', async () => {
    server = createServer((req, res) => {
      const name = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/+/, '') || 'index.html';
      const file = join(reportDir, name);
      if (name.includes('..') || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.cast': 'text/plain', '.json': 'application/json' };
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const { page, errors } = await openReport(`http://127.0.0.1:${port}/index.html`);
    expect(await page.evaluate(() => (window as unknown as { tslabReport: { mode: string } }).tslabReport.mode)).toBe('worker');
    await page.waitForFunction(() => document.querySelectorAll('.ap-marker-container').length === 5, null, { timeout: 20_000 });
    await page.waitForFunction(() => (document.querySelector('.ap-term')?.textContent ?? '').includes('end of trace'), null, { timeout: 20_000 });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe.skipIf(process.getuid?.() !== 0)('a report of a real run (needs root to start a container)', () => {
  it('has one marker per lifecycle step of the recorded `oci run` trace', async () => {
    const id = uniqueId('report');
    const bundle = makeBundle(['/bin/sh', '-c', 'echo report-run'], undefined, id);
    const state = mkdtempSync(join(work, 'state-'));
    const real = join(work, 'real.jsonl');
    const dir = join(work, 'real-report');
    try {
      const runResult = tslab(['--trace', real, 'oci', '--root', state, 'run', '--bundle', bundle.dir, id]);
      expect(runResult.status, runResult.stderr).toBe(0);
      expect(tslab(['trace', 'report', real, '-o', dir]).status).toBe(0);
      const lifecycle = parseTrace(readFileSync(real, 'utf8')).filter((e) => e.kind === 'lifecycle' && e.phase === 'end').map((e) => e.step.replace('state.', ''));
      expect(lifecycle).toEqual(expect.arrayContaining(['creating', 'created', 'running', 'stopped', 'deleted']));
      const { page, errors } = await openReport(`file://${dir}/index.html`);
      await page.waitForFunction((n) => document.querySelectorAll('.ap-marker-container').length === n, lifecycle.length, { timeout: 20_000 });
      const tooltips = await page.$$eval('.ap-marker-container .ap-tooltip', (els) => els.map((e) => (e.textContent ?? '').replace(/^[\d:]+ - /, '')));
      expect(tooltips).toEqual(lifecycle);
      expect(await page.$$eval('#steps tbody tr', (rows) => rows.filter((r) => (r.textContent ?? '').includes('no explanation yet')).map((r) => r.getAttribute('data-step')))).toEqual([]);
      await page.screenshot({ path: join(dir, 'screenshot.png'), fullPage: true });
      expect(statSync(join(dir, 'screenshot.png')).size).toBeGreaterThan(10_000);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      spawnSync(process.execPath, [TSLAB, 'oci', '--root', state, 'delete', '--force', id], { stdio: 'ignore' });
      bundle.cleanup();
    }
  });
});

describe('tslab trace export and view', () => {
  it('exports asciicast (stdout or -o) and chrome, and rejects an unknown format', () => {
    const cast = tslab(['trace', 'export', '--format', 'asciicast', traceFile]);
    expect(cast.status).toBe(0);
    const lines = cast.stdout.trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ version: 2 });
    expect(lines.map((l) => JSON.parse(l)).filter((e) => Array.isArray(e) && e[1] === 'm').map((e) => e[2]))
      .toEqual(['creating', 'created', 'running', 'stopped', 'deleted']);
    const out = join(work, 'run.chrome.json');
    expect(tslab(['trace', 'export', '--format', 'chrome', traceFile, '-o', out]).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).traceEvents.length).toBeGreaterThan(30);
    const bad = tslab(['trace', 'export', '--format', 'svg', traceFile]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--format svg: use asciicast or chrome');
  });

  it('view prints one line per step when stdout is not a terminal; a bad file is a clear error', () => {
    const view = tslab(['trace', 'view', traceFile]);
    expect(view.status).toBe(0);
    expect(view.stdout.trimEnd().split('\n')).toHaveLength(32);
    expect(view.stdout).toMatch(/FAIL pivot_root \. \. → EPERM/);
    const junk = join(work, 'junk.jsonl');
    writeFileSync(junk, 'not json\n');
    const bad = tslab(['trace', 'view', junk]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('trace line 1 is not JSON');
    expect(execFileSync(process.execPath, [TSLAB, 'trace', '--help'], { encoding: 'utf8' })).toMatch(/view.*\n.*export/s);
  });
});
