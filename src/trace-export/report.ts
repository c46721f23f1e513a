// `tslab trace report FILE -o DIR`: a folder that opens with no network — index.html with the
// recording in asciinema-player (one chapter marker per lifecycle step), a timeline and the step
// table with explanations. Opened from disk (file://) the page uses the player's single-file
// bundle with the recording inline; served over HTTP it uses the split UI with the web worker
// beside it and fetches recording.cast.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TraceEvent } from '../tracer/event.js';
import { explain, eventNotes } from '../explain/index.js';
import { formatAsciicast, toAsciicast } from './asciicast.js';
import { toChromeTrace } from './chrome.js';
import { exportSteps, lifecycleLabel, lifecycleSteps, type ExportStep } from './steps.js';
import { timelineSvg } from './timeline.js';
import { escapeHtml, scriptJson } from './html.js';
import { formatArg } from '../tui/text.js';

export interface ReportCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ReportOptions {
  title: string;
  /** lab checks to list above the steps (`tslab test --report`) */
  checks?: ReportCheck[];
  /** seconds between lines in the recording (default 0.25) */
  pace?: number;
}

export const PLAYER_FILES = {
  bundle: 'asciinema-player.min.js',
  ui: 'asciinema-player-ui.min.js',
  worker: 'asciinema-player-worker.min.js',
  css: 'asciinema-player.css',
} as const;

function copyPlayer(dir: string): void {
  const require = createRequire(import.meta.url);
  for (const file of Object.values(PLAYER_FILES)) {
    copyFileSync(require.resolve(`asciinema-player/dist/bundle/${file}`), join(dir, file));
  }
}

export interface WrittenReport {
  index: string;
  markers: string[];
  steps: number;
}

export function writeReport(trace: readonly TraceEvent[], dir: string, opts: ReportOptions): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const steps = exportSteps(trace);
  const cast = toAsciicast(trace, { title: opts.title, pace: opts.pace ?? 0.25 });
  const castText = formatAsciicast(cast);
  const markers = cast.events.filter((e) => e[1] === 'm').map((e) => ({ time: e[0], label: e[2] }));
  writeFileSync(join(dir, 'recording.cast'), castText);
  writeFileSync(join(dir, 'trace.jsonl'), trace.map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(join(dir, 'trace.chrome.json'), JSON.stringify(toChromeTrace(trace, opts.title)));
  copyPlayer(dir);
  const index = join(dir, 'index.html');
  writeFileSync(index, page(trace, steps, opts, castText, markers));
  return { index, markers: markers.map((m) => m.label), steps: steps.length };
}

function page(trace: readonly TraceEvent[], steps: ExportStep[], opts: ReportOptions, castText: string, markers: Array<{ time: number; label: string }>): string {
  const failed = steps.filter((s) => s.event.errno);
  const container = trace.find((e) => e.container)?.container;
  const span = steps.length > 0 ? Math.max(...steps.map((s) => s.start + s.dur)) : 0;
  const lifecycle = lifecycleSteps(steps).map((s) => lifecycleLabel(s.event.step));
  const checks = opts.checks ?? [];
  const summary = [
    container ? `container <code>${escapeHtml(container)}</code>` : '',
    `${steps.length} steps`,
    `${failed.length} failed`,
    `${span.toFixed(1)} ms from first to last event`,
    lifecycle.length ? `lifecycle ${lifecycle.map(escapeHtml).join(' → ')}` : '',
  ].filter(Boolean).join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)} — tslab trace report</title>
<link rel="stylesheet" href="${PLAYER_FILES.css}">
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem; color: #1f2937; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  code { font-family: ui-monospace, monospace; font-size: .92em; }
  .summary { color: #4b5563; }
  #timeline { border: 1px solid #e5e7eb; background: #fafafa; }
  #timeline .lane { font: 12px ui-monospace, monospace; fill: #374151; }
  #timeline .grid { stroke: #e5e7eb; } #timeline .axis { font: 11px sans-serif; fill: #6b7280; }
  #timeline .lifecycle line { stroke: #059669; stroke-dasharray: 3 2; } #timeline .lifecycle text { font: 11px sans-serif; fill: #059669; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: .25rem .4rem; border-bottom: 1px solid #e5e7eb; }
  td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
  tr.failed td { background: #fef2f2; } tr.lifecycle td { background: #ecfdf5; font-weight: 600; }
  details summary { cursor: pointer; } details p { margin: .2rem 0; }
  .ok { color: #15803d; } .bad { color: #b91c1c; } .muted { color: #6b7280; }
  #player-status { font-size: .85rem; color: #6b7280; }
</style>
</head>
<body>
<h1>${escapeHtml(opts.title)}</h1>
<p class="summary">${summary}</p>
${checks.length ? `<h2>Checks</h2><ul id="checks">${checks.map((c) => `<li class="${c.ok ? 'ok' : 'bad'}">${c.ok ? '✓' : '✗'} ${escapeHtml(c.name)}${c.detail ? ` <span class="muted">— ${escapeHtml(c.detail)}</span>` : ''}</li>`).join('')}</ul>` : ''}
<h2>Recording</h2>
<p class="muted">One line per step (paced for reading, not real time); the chapter marks are the lifecycle steps: ${markers.map((m) => escapeHtml(m.label)).join(', ') || 'none'}.</p>
<div id="player"></div>
<p id="player-status">loading the player…</p>
<h2>Timeline</h2>
<p class="muted">Real durations, one lane per process; hover a bar for the step.</p>
${timelineSvg(steps)}
<h2>Steps</h2>
<table id="steps">
<thead><tr><th>#</th><th>at (ms)</th><th>process</th><th>step</th><th>what happened</th><th>took</th><th>result</th></tr></thead>
<tbody>
${steps.map((s, i) => row(s, i)).join('\n')}
</tbody>
</table>
<p class="muted">Files: <a href="trace.jsonl">trace.jsonl</a> (the trace) · <a href="recording.cast">recording.cast</a> (asciicast v2) · <a href="trace.chrome.json">trace.chrome.json</a> (open in chrome://tracing or ui.perfetto.dev).</p>
<script type="application/json" id="tslab-cast">${scriptJson(castText)}</script>
<script type="application/json" id="tslab-markers">${scriptJson(markers)}</script>
<script>
(function () {
  var status = document.getElementById('player-status');
  var markers = JSON.parse(document.getElementById('tslab-markers').textContent);
  window.tslabReport = { markers: markers, player: null, mode: null, error: null };
  function load(src, done) {
    var s = document.createElement('script');
    s.src = src;
    s.onload = done;
    s.onerror = function () { fail(new Error('cannot load ' + src)); };
    document.head.appendChild(s);
  }
  function fail(err) {
    window.tslabReport.error = String(err && err.message || err);
    status.textContent = 'the player could not start: ' + window.tslabReport.error;
    document.body.setAttribute('data-player', 'error');
  }
  function ready(player, mode) {
    window.tslabReport.player = player;
    window.tslabReport.mode = mode;
    status.textContent = 'player: ' + mode;
    document.body.setAttribute('data-player', 'ready');
  }
  var opts = { cols: 120, rows: 32, fit: 'width', idleTimeLimit: 1, preload: true, terminalFontSize: 'small', poster: '${poster(castText)}' };
  try {
    // Workers cannot start from file:// pages, so from disk use the single-file bundle with the
    // recording inline; over HTTP use the split UI and its worker served beside this page.
    if (/^https?:$/.test(location.protocol) && typeof Worker !== 'undefined') {
      load('${PLAYER_FILES.ui}', function () {
        try {
          ready(AsciinemaPlayer.create({ url: 'recording.cast' }, document.getElementById('player'), '${PLAYER_FILES.worker}', opts), 'worker');
        } catch (e) { fail(e); }
      });
    } else {
      load('${PLAYER_FILES.bundle}', function () {
        try {
          var cast = JSON.parse(document.getElementById('tslab-cast').textContent);
          ready(AsciinemaPlayer.create({ data: cast }, document.getElementById('player'), opts), 'inline');
        } catch (e) { fail(e); }
      });
    }
  } catch (e) { fail(e); }
})();
</script>
</body>
</html>
`;
}

/** The poster shows the whole recording (its last frame) before the reader presses play. */
function poster(castText: string): string {
  const lines = castText.trimEnd().split('\n');
  const end = Math.ceil((JSON.parse(lines[lines.length - 1]!) as [number])[0]);
  return `npt:${Math.floor(end / 60)}:${String(end % 60).padStart(2, '0')}`;
}

function row(s: ExportStep, i: number): string {
  const e = s.event;
  const x = explain(e.step);
  const notes = eventNotes(e);
  const args = Object.entries(e.args ?? {}).map(([k, v]) => `${k}=${formatArg(v)}`).join('  ');
  const result = e.errno && e.expected ? `<span class="muted">${escapeHtml(e.errno)} (expected: ${escapeHtml(e.expected)})</span>`
    : e.errno ? `<span class="bad">${escapeHtml(e.errno)}</span>${e.error ? `<br><span class="muted">${escapeHtml(e.error)}</span>` : ''}`
    : !s.finished ? '<span class="muted">no end event</span>' : e.result !== undefined ? escapeHtml(formatArg(e.result)) : '<span class="ok">ok</span>';
  const explanation = x
    ? `<details><summary>${escapeHtml(x.title)}</summary><p><b>What:</b> ${escapeHtml(x.what)}</p><p><b>Why:</b> ${escapeHtml(x.why)}</p><p><b>Without it:</b> ${escapeHtml(x.without)}</p>${notes.map((n) => `<p>• ${escapeHtml(n)}</p>`).join('')}<p class="muted">man ${escapeHtml(x.man)}</p></details>`
    : '<span class="muted">no explanation yet</span>';
  const cls = e.errno && !e.expected ? 'failed' : e.kind === 'lifecycle' ? 'lifecycle' : '';
  return `<tr class="${cls}" data-step="${escapeHtml(e.step)}"><td class="num">${i + 1}</td><td class="num">${s.start.toFixed(2)}</td><td><code>${escapeHtml(`${e.stage}:${e.pid}`)}</code></td><td><code>${escapeHtml(e.step)}</code></td><td><code>${escapeHtml(e.summary)}</code>${args ? `<br><span class="muted"><code>${escapeHtml(args)}</code></span>` : ''}${explanation}</td><td class="num">${s.finished && e.kind !== 'lifecycle' ? `${s.dur.toFixed(3)} ms` : ''}</td><td>${result}</td></tr>`;
}
