// TAP version 13: one test point per check; a lab that could not load or clean up is a test point
// of its own; failures carry a YAML block with expected, seen and the hint.
import type { LabResult } from '../events.js';

const yamlString = (s: string): string => JSON.stringify(s);

function block(fields: Record<string, string | undefined>): string[] {
  const lines = ['  ---'];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) lines.push(`  ${k}: ${yamlString(v)}`);
  lines.push('  ...');
  return lines;
}

const clean = (s: string): string => s.replace(/#/g, '\\#').replace(/\n/g, ' ');

export function tapReport(results: LabResult[]): string {
  const lines: string[] = ['TAP version 13'];
  let n = 0;
  for (const r of results) {
    lines.push(`# ${r.ref.id}: ${r.title} (runtime ${r.runtime})`);
    if (r.skipped) {
      lines.push(`ok ${++n} - ${clean(r.ref.id)} # SKIP ${clean(r.skipped)}`);
      continue;
    }
    for (const c of r.checks) {
      const name = clean(`${r.ref.id}: ${c.step} › ${c.title}`);
      if (c.status === 'pass') lines.push(`ok ${++n} - ${name}`);
      else {
        lines.push(`not ok ${++n} - ${name}`);
        lines.push(...block({ from: c.from, expected: c.expected, seen: c.seen, hint: c.hint, error: c.error }));
      }
    }
    if (r.error) {
      lines.push(`not ok ${++n} - ${clean(`${r.ref.id}: lab`)}`);
      lines.push(...block({ error: r.error }));
    }
    if (r.cleanupErrors.length) {
      lines.push(`not ok ${++n} - ${clean(`${r.ref.id}: cleanup`)}`);
      lines.push(...block({ error: r.cleanupErrors.join('; ') }));
    }
  }
  lines.push(`1..${n}`);
  return lines.join('\n') + '\n';
}
