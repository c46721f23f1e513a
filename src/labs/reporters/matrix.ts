// `tslab test LABS --runtime A --runtime B …`: the same labs on several runtimes, side by side. One
// row per check, one column per runtime, each cell pass/fail with the value seen: which isolation
// guarantees each runtime gives on this kernel, check by check. Also as JUnit (a testsuite per
// runtime) and as an HTML page.
import type { CheckOutcome, LabResult } from '../events.js';
import { labPassed } from '../events.js';
import { labCases, xmlEscape } from './junit.js';
import { sawText } from './narrate.js';

export interface RuntimeRun {
  /** the runtime as the user named it (tslab, runc, ./my-runtime) */
  label: string;
  results: LabResult[];
}

export interface MatrixRow {
  lab: string;
  /** `step › check`, or `lab` for a lab that could not run */
  name: string;
  /** per runtime label; undefined when that runtime did not get to the check */
  cells: Map<string, MatrixCell>;
}

export interface MatrixCell {
  status: CheckOutcome['status'] | 'skip';
  seen?: string;
  detail?: string;
}

export function matrixRows(runs: RuntimeRun[]): MatrixRow[] {
  const rows = new Map<string, MatrixRow>();
  const row = (lab: string, name: string): MatrixRow => {
    const key = `${lab}\u0000${name}`;
    let r = rows.get(key);
    if (!r) rows.set(key, r = { lab, name, cells: new Map() });
    return r;
  };
  for (const run of runs) {
    for (const res of run.results) {
      if (res.skipped) row(res.ref.id, 'lab').cells.set(run.label, { status: 'skip', detail: res.skipped });
      if (res.error) row(res.ref.id, 'lab').cells.set(run.label, { status: 'error', detail: res.error });
      for (const c of res.checks) {
        row(res.ref.id, `${c.step} › ${c.title}`).cells.set(run.label, {
          status: c.status, ...(c.seen !== undefined ? { seen: c.seen } : {}), ...(c.error ? { detail: c.error } : {}),
        });
      }
    }
  }
  return [...rows.values()];
}

const short = (s: string, max: number): string => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
};

function cellText(cell: MatrixCell | undefined, width: number): string {
  if (!cell) return '—';
  const word = cell.status === 'pass' ? 'PASS' : cell.status === 'fail' ? 'FAIL' : cell.status === 'skip' ? 'SKIP' : 'ERR';
  const more = cell.seen ?? cell.detail;
  return more ? `${word} ${sawText(more, width - 5)}` : word;
}

/** The matrix as aligned text, one lab after another. */
export function matrixText(runs: RuntimeRun[], cellWidth = 28): string {
  const rows = matrixRows(runs);
  const labels = runs.map((r) => r.label);
  const nameWidth = Math.min(70, Math.max(20, ...rows.map((r) => r.name.length)));
  const out: string[] = [`${'check'.padEnd(nameWidth)}  ${labels.map((l) => l.padEnd(cellWidth)).join('  ')}`.trimEnd()];
  let lab: string | undefined;
  for (const r of rows) {
    if (r.lab !== lab) {
      lab = r.lab;
      const states = runs.map((run) => {
        const res = run.results.find((x) => x.ref.id === r.lab);
        return !res ? '—' : res.skipped ? 'SKIP' : labPassed(res) ? 'PASS' : 'FAIL';
      });
      out.push(`${r.lab.padEnd(nameWidth)}  ${states.map((s) => s.padEnd(cellWidth)).join('  ')}`.trimEnd());
    }
    out.push(`  ${short(r.name, nameWidth - 2).padEnd(nameWidth - 2)}  ${labels.map((l) => cellText(r.cells.get(l), cellWidth).padEnd(cellWidth)).join('  ')}`.trimEnd());
  }
  const sums = runs.map((run) => {
    const checks = run.results.flatMap((x) => x.checks);
    return `${checks.filter((c) => c.status === 'pass').length}/${checks.length} checks`;
  });
  out.push(`${'total'.padEnd(nameWidth)}  ${sums.map((s) => s.padEnd(cellWidth)).join('  ')}`.trimEnd());
  return `${out.join('\n')}\n`;
}

/** JUnit with one testsuite per runtime; each lab's checks are its testcases (classname labs.<lab>). */
export function matrixJunit(runs: RuntimeRun[]): string {
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  const suites = runs.map((run) => {
    const parts = run.results.map(labCases);
    const sum = (k: 'tests' | 'failures' | 'errors' | 'skipped'): number => parts.reduce((n, p) => n + p[k], 0);
    tests += sum('tests');
    failures += sum('failures');
    errors += sum('errors');
    skipped += sum('skipped');
    const time = (run.results.reduce((n, r) => n + r.durationMs, 0) / 1000).toFixed(3);
    return `  <testsuite name="${xmlEscape(run.label)}" tests="${sum('tests')}" failures="${sum('failures')}" errors="${sum('errors')}" skipped="${sum('skipped')}" time="${time}">\n` +
      `    <properties><property name="runtime" value="${xmlEscape(run.results[0]?.runtime ?? run.label)}"/></properties>\n` +
      `${parts.map((p) => p.cases.join('\n')).filter(Boolean).join('\n')}\n  </testsuite>`;
  });
  return ['<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="tslab labs: ${xmlEscape(runs.map((r) => r.label).join(' vs '))}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}">`,
    ...suites, '</testsuites>'].join('\n') + '\n';
}

/** The matrix as an HTML table body (the page frame is the report's). */
export function matrixHtml(runs: RuntimeRun[], esc: (s: string) => string, link: (label: string) => string): string {
  const rows = matrixRows(runs);
  const head = `<tr><th>check</th>${runs.map((r) => `<th><a href="${esc(link(r.label))}">${esc(r.label)}</a></th>`).join('')}</tr>`;
  let lab: string | undefined;
  const body: string[] = [];
  for (const r of rows) {
    if (r.lab !== lab) {
      lab = r.lab;
      body.push(`<tr><th colspan="${runs.length + 1}">${esc(r.lab)}</th></tr>`);
    }
    body.push(`<tr><td>${esc(r.name)}</td>${runs.map((run) => {
      const c = r.cells.get(run.label);
      return c ? `<td class="${c.status}">${c.status.toUpperCase()}${c.seen ?? c.detail ? `<br><code>${esc(short(c.seen ?? c.detail ?? '', 80))}</code>` : ''}</td>` : '<td>—</td>';
    }).join('')}</tr>`);
  }
  return `<table>${head}\n${body.join('\n')}</table>`;
}
