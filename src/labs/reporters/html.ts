// `tslab test --report DIR`: per lab, the trace report of src/trace-export (recording, timeline,
// steps with explanations, the lab's checks on top) when the runtime traced, else a plain page of the
// checks; and an index of every lab.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabResult } from '../events.js';
import { labPassed } from '../events.js';
import { xmlEscape as esc } from './junit.js';
import { writeReport } from '../../trace-export/report.js';
import { matrixHtml, type RuntimeRun } from './matrix.js';

const STYLE = `body{font:15px/1.4 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
.pass{color:#176f2c}.fail,.error{color:#b3261e}td,th{padding:.2rem .6rem;text-align:left;vertical-align:top}
pre{background:#f4f4f4;padding:.5rem;white-space:pre-wrap}`;

function page(title: string, body: string): string {
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head>\n<body>${body}</body></html>\n`;
}

const folder = (r: LabResult): string => r.ref.id.replace(/\//g, '--');
const fileName = (r: LabResult): string => `${folder(r)}.html`;

export function writeHtmlReports(results: LabResult[], dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const r of results) {
    const rows = r.checks.map((c) => `<tr class="${c.status}"><td>${c.status.toUpperCase()}</td><td>${esc(c.step)}</td><td>${esc(c.title)}</td>` +
      `<td>${c.from}</td><td>${c.status === 'pass' ? '' : `<pre>${esc([c.error && `error: ${c.error}`, c.expected !== undefined && `expected: ${c.expected}`,
        c.seen !== undefined && `seen: ${c.seen}`, c.hint && `hint: ${c.hint}`].filter(Boolean).join('\n'))}</pre>`}</td></tr>`).join('\n');
    const state = r.skipped ? 'skipped' : labPassed(r) ? 'pass' : 'fail';
    writeFileSync(join(dir, fileName(r)), page(r.title, `<h1>${esc(r.ref.id)}: ${esc(r.title)}</h1>
<p class="${state}">${state.toUpperCase()} with runtime <code>${esc(r.runtime)}</code> in ${(r.durationMs / 1000).toFixed(1)} s</p>
${r.skipped ? `<p>Skipped: ${esc(r.skipped)}</p>` : ''}${r.error ? `<pre class="error">${esc(r.error)}</pre>` : ''}
${r.cleanupErrors.map((e) => `<pre class="error">cleanup: ${esc(e)}</pre>`).join('')}
<table><tr><th></th><th>step</th><th>check</th><th>from</th><th>details</th></tr>\n${rows}\n</table>`));
  }
  const traced = new Set<LabResult>();
  for (const r of results) {
    if (!r.trace.some((e) => e.stage !== 'lab')) continue;
    const checks = r.checks.map((c) => ({
      name: `${c.step} › ${c.title}`, ok: c.status === 'pass',
      detail: c.status === 'pass' ? undefined : [c.error, c.expected !== undefined ? `expected ${c.expected}, seen ${c.seen}` : undefined, c.hint].filter(Boolean).join(' — '),
    }));
    writeReport(r.trace, join(dir, folder(r)), { title: `${r.ref.id}: ${r.title}`, checks });
    traced.add(r);
  }
  const items = results.map((r) => `<li class="${r.skipped ? '' : labPassed(r) ? 'pass' : 'fail'}"><a href="${esc(fileName(r))}">${esc(r.ref.id)}</a>: ${esc(r.title)}` +
    `${traced.has(r) ? ` (<a href="${esc(folder(r))}/index.html">trace</a>)` : ''}</li>`);
  writeFileSync(join(dir, 'index.html'), page('tslab labs', `<h1>tslab labs</h1><ul>${items.join('\n')}</ul>`));
}

/** Several runtimes: each one's reports in DIR/<runtime>/, and DIR/index.html the check × runtime matrix. */
export function writeMatrixHtml(runs: RuntimeRun[], dir: string): void {
  const folderOf = (label: string): string => label.replace(/[^A-Za-z0-9._-]+/g, '_');
  for (const run of runs) writeHtmlReports(run.results, join(dir, folderOf(run.label)));
  const table = matrixHtml(runs, esc, (label) => `${folderOf(label)}/index.html`);
  writeFileSync(join(dir, 'index.html'), page('tslab labs: runtimes side by side',
    `<h1>Check × runtime</h1><p>The same labs on ${runs.map((r) => `<code>${esc(r.label)}</code>`).join(', ')}: each cell is the check's verdict and what it saw.</p>\n${table}`));
}
