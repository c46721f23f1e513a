// An SVG timeline of the steps: one lane per process, each step a bar as long as it took
// (at least a hairline), lifecycle points as labelled vertical lines.
import type { ExportStep } from './steps.js';
import { lifecycleLabel } from './steps.js';
import { escapeHtml } from './html.js';

const STAGE_COLOURS: Record<string, string> = { cli: '#3b82f6', init: '#16a34a', hook: '#d97706', exec: '#9333ea', lab: '#64748b' };

export function timelineSvg(steps: readonly ExportStep[], width = 1000): string {
  if (steps.length === 0) return '<p>No steps.</p>';
  const lanes: string[] = [];
  for (const s of steps) {
    const lane = `${s.event.stage}:${s.event.pid}`;
    if (!lanes.includes(lane)) lanes.push(lane);
  }
  const span = Math.max(0.001, ...steps.map((s) => s.start + s.dur));
  const left = 110;
  const laneHeight = 26;
  const top = 24;
  const plot = width - left - 10;
  const x = (ms: number): number => left + (ms / span) * plot;
  const height = top + lanes.length * laneHeight + 20;
  const parts: string[] = [];
  lanes.forEach((lane, i) => {
    const y = top + i * laneHeight;
    parts.push(`<text x="4" y="${y + 16}" class="lane">${escapeHtml(lane)}</text>`);
    parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y + laneHeight - 2}" y2="${y + laneHeight - 2}" class="grid"/>`);
  });
  for (const s of steps) {
    const e = s.event;
    const tip = `${e.summary} — ${s.dur.toFixed(3)} ms${e.errno ? ` ${e.errno}` : ''}`;
    if (e.kind === 'lifecycle') {
      const lx = x(s.start).toFixed(1);
      parts.push(`<g class="lifecycle"><line x1="${lx}" x2="${lx}" y1="14" y2="${height - 16}"/><text x="${lx}" y="11">${escapeHtml(lifecycleLabel(e.step))}</text><title>${escapeHtml(tip)}</title></g>`);
      continue;
    }
    const y = top + lanes.indexOf(`${e.stage}:${e.pid}`) * laneHeight + 4;
    const w = Math.max(1.5, (s.dur / span) * plot);
    const fill = e.errno ? '#dc2626' : STAGE_COLOURS[e.stage] ?? '#64748b';
    parts.push(`<rect x="${x(s.start).toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${laneHeight - 10}" fill="${fill}" data-step="${escapeHtml(e.step)}"><title>${escapeHtml(tip)}</title></rect>`);
  }
  parts.push(`<text x="${left}" y="${height - 2}" class="axis">0 ms</text><text x="${width - 10}" y="${height - 2}" class="axis" text-anchor="end">${span.toFixed(1)} ms</text>`);
  return `<svg id="timeline" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="timeline of the steps">${parts.join('')}</svg>`;
}
