// Exporters: asciicast v2 with lifecycle markers, the Chrome trace event format.
import { describe, expect, it } from 'vitest';
import { formatAsciicast, toAsciicast } from '../../../src/trace-export/asciicast.js';
import { toChromeTrace } from '../../../src/trace-export/chrome.js';
import { exportSteps } from '../../../src/trace-export/steps.js';
import { sampleTrace } from '../../../src/tui/sample-trace.js';

describe('asciicast export', () => {
  it('writes a v2 header, non-decreasing times, one line per step and a marker per lifecycle step', () => {
    const trace = sampleTrace({ failAt: 'pivot_root' });
    const text = formatAsciicast(toAsciicast(trace, { title: 'demo' }));
    const [headerLine, ...rest] = text.trimEnd().split('\n');
    const header = JSON.parse(headerLine!);
    expect(header).toMatchObject({ version: 2, width: 120, title: 'demo' });
    const events = rest.map((l) => JSON.parse(l) as [number, string, string]);
    for (let i = 1; i < events.length; i++) expect(events[i]![0]).toBeGreaterThanOrEqual(events[i - 1]![0]);
    expect(events.filter((e) => e[1] === 'm').map((e) => e[2])).toEqual(['creating', 'created', 'running', 'stopped', 'deleted']);
    const output = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
    expect(output).toContain('pivot_root . . → EPERM');
    expect(output).toContain('execve /bin/true');
    expect(output).toContain('— Attach a filesystem');
    // real timing: the last step ends about when the trace does (ms → s)
    const span = exportSteps(trace).reduce((m, s) => Math.max(m, s.start + s.dur), 0) / 1000;
    expect(events[events.length - 2]![0]).toBeCloseTo(span, 3);
  });

  it('paces lines when asked, markers at the time of their line', () => {
    const cast = toAsciicast(sampleTrace(), { pace: 0.5 });
    const created = cast.events.findIndex((e) => e[1] === 'm' && e[2] === 'created');
    expect(cast.events[created]![0]).toBe(cast.events[created + 1]![0]);
    expect(cast.events[created]![0] % 0.5).toBe(0);
  });
});

describe('chrome trace export', () => {
  it('has a complete event per step with µs times, process names and lifecycle instants', () => {
    const trace = sampleTrace({ failAt: 'mount' });
    const chrome = toChromeTrace(trace, 'demo');
    const x = chrome.traceEvents.filter((e) => e.ph === 'X');
    const i = chrome.traceEvents.filter((e) => e.ph === 'i');
    const m = chrome.traceEvents.filter((e) => e.ph === 'M');
    expect(i.map((e) => e.name)).toEqual(['creating', 'created', 'running', 'stopped', 'deleted']);
    expect(m.map((e) => (e.args as { name: string }).name)).toEqual(['cli (pid 4100)', 'init (pid 4123)']);
    expect(x.length + i.length).toBe(exportSteps(trace).length);
    const mount = x.find((e) => e.name === 'mount')!;
    expect(mount.args).toMatchObject({ errno: 'EPERM', target: '/' });
    expect(mount.dur).toBeCloseTo(500, 0);
    expect(x.find((e) => e.name === 'execve')!.args).toMatchObject({ finished: false });
    expect(JSON.parse(JSON.stringify(chrome)).displayTimeUnit).toBe('ms');
  });
});

describe('HTML report', () => {
  it('writes the page, the recording, the traces and the player files; lists lab checks; escapes HTML', async () => {
    const { mkdtempSync, readFileSync, readdirSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { writeReport } = await import('../../../src/trace-export/report.js');
    const dir = mkdtempSync(join(tmpdir(), 'tslabt-report-unit-'));
    try {
      const trace = sampleTrace({ container: 'tslabt-<b>x</b>' });
      const written = writeReport(trace, dir, {
        title: 'lab <pid-namespace>',
        checks: [{ name: 'PID 1 inside', ok: true }, { name: 'host PIDs invisible', ok: false, detail: 'saw 1234' }],
      });
      expect(written.markers).toEqual(['creating', 'created', 'running', 'stopped', 'deleted']);
      expect(readdirSync(dir).sort()).toEqual(['asciinema-player-ui.min.js', 'asciinema-player-worker.min.js', 'asciinema-player.css',
        'asciinema-player.min.js', 'index.html', 'recording.cast', 'trace.chrome.json', 'trace.jsonl']);
      const html = readFileSync(written.index, 'utf8');
      expect(html).toContain('<title>lab &lt;pid-namespace&gt; — tslab trace report</title>');
      expect(html).toContain('tslabt-&lt;b&gt;x&lt;/b&gt;');
      expect(html).not.toContain('<b>x</b>');
      expect(html).toMatch(/<li class="ok">✓ PID 1 inside<\/li>/);
      expect(html).toMatch(/<li class="bad">✗ host PIDs invisible <span class="muted">— saw 1234<\/span><\/li>/);
      expect(html.match(/<tr class="[^"]*" data-step=/g)).toHaveLength(written.steps);
      expect(readFileSync(join(dir, 'trace.jsonl'), 'utf8').trim().split('\n')).toHaveLength(trace.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
