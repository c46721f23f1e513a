// `tslab test --reporter plain`: one line per check, details for failures, a total at the end.
import type { LabResult } from '../events.js';
import { labPassed } from '../events.js';

export function plainReport(results: LabResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const state = r.skipped ? 'SKIP' : labPassed(r) ? 'PASS' : 'FAIL';
    out.push(`${state} ${r.ref.id} (${r.title}) ${(r.durationMs / 1000).toFixed(1)}s`);
    if (r.skipped) out.push(`     skipped: ${r.skipped}`);
    for (const c of r.checks) {
      out.push(`  ${c.status === 'pass' ? 'ok  ' : c.status === 'fail' ? 'FAIL' : 'ERR '} ${c.step} › ${c.title}`);
      if (c.status !== 'pass') {
        if (c.error) out.push(`       error:    ${c.error}`);
        if (c.expected !== undefined) out.push(`       expected: ${c.expected}`, `       seen:     ${c.seen}`);
        if (c.hint) out.push(`       hint:     ${c.hint}`);
      }
    }
    if (r.error) out.push(`  ERROR ${r.error}`);
    for (const e of r.cleanupErrors) out.push(`  CLEANUP ${e}`);
  }
  out.push(totals(results));
  return out.join('\n') + '\n';
}

export function totals(results: LabResult[]): string {
  const checks = results.flatMap((r) => r.checks);
  const passedLabs = results.filter((r) => !r.skipped && labPassed(r)).length;
  const skipped = results.filter((r) => r.skipped).length;
  return `${passedLabs}/${results.length - skipped} labs passed${skipped ? `, ${skipped} skipped` : ''}; ` +
    `${checks.filter((c) => c.status === 'pass').length}/${checks.length} checks passed`;
}
