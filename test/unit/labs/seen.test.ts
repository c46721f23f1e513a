// Predict, then see: every check line says what it saw, pass or fail; --pause waits at three places.
import { describe, expect, it } from 'vitest';
import { narrateSink, sawText } from '../../../src/labs/reporters/narrate.js';
import { pausePrompts } from '../../../src/labs/pause.js';

describe('check lines', () => {
  it('print the seen value beside PASS and FAIL, unquoted and on one line', () => {
    let out = '';
    const sink = narrateSink((s) => { out += s; });
    sink({ type: 'check', outcome: { step: 's', title: 'pid 1 inside is sleep', from: 'inside', status: 'pass', expected: '"sleep"', seen: '"sleep"', durationMs: 1 } });
    sink({ type: 'check', outcome: { step: 's', title: 'few processes', from: 'inside', status: 'fail', expected: '<= 5', seen: '40', durationMs: 1 } });
    expect(out).toContain('   PASS (inside) pid 1 inside is sleep (saw: sleep)\n');
    expect(out).toContain('   FAIL (inside) few processes (saw: 40)\n');
    expect(sawText('a\nb')).toBe('a ⏎ b');
    expect(sawText('x'.repeat(200)).length).toBe(80);
    expect(sawText('')).toBe('(nothing)');
  });

  it('--pause waits before anything runs, before every later step and before each step\'s checks', async () => {
    const asked: string[] = [];
    const p = pausePrompts(async (prompt) => { asked.push(prompt); });
    await p.beforeStart!();
    await p.beforeStep!(0);
    await p.beforeChecks!(0);
    await p.beforeStep!(1);
    expect(asked).toEqual(['Enter: start the lab, step 1', 'Enter: run the checks — what will they see?', 'Enter: next step']);
  });
});
