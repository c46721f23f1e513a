import { describe, expect, it } from 'vitest';
import { plainLine, plainStepSink } from '../../../src/tui/plain.js';
import { sampleTrace } from '../../../src/tui/sample-trace.js';
import { Tracer } from '../../../src/tracer/tracer.js';

describe('plain renderer', () => {
  it('prints one line per step, execve at its begin, failures with their errno, no colours by default', () => {
    const out: string[] = [];
    const sink = plainStepSink((s) => out.push(s));
    for (const e of sampleTrace({ failAt: 'pivot_root' })) sink(e);
    const text = out.join('');
    const steps = new Set(sampleTrace().map((e) => e.id)).size;
    expect(out).toHaveLength(steps);
    expect(out.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(text).toMatch(/^init:4123 +ok +mount proc rootfs\/proc -t proc MS_NOSUID\|MS_NODEV\|MS_NOEXEC \(0\.\d+ms\)$/m);
    expect(text).toMatch(/^init:4123 +FAIL pivot_root \. \. → EPERM: pivot_root failed: EPERM$/m);
    expect(text).toMatch(/^init:4123 +exec execve \/bin\/true$/m);
    expect(text).toMatch(/^cli:4100 +── created ──$/m);
    expect(text).not.toMatch(/\x1b\[/);
  });

  it('colours only when asked (a TTY)', () => {
    const end = sampleTrace().find((e) => e.phase === 'end' && e.step === 'mount')!;
    expect(plainLine(end, { color: true })).toMatch(/\x1b\[32mok/);
  });

  it('works as a sink of the real tracer', () => {
    const t = new Tracer();
    const out: string[] = [];
    t.addSink(plainStepSink((s) => out.push(s)));
    t.step({ kind: 'syscall', step: 'chdir', args: { path: '/' }, summary: 'chdir /' }, () => undefined);
    t.point('lifecycle', 'state.created');
    expect(out.map((l) => l.replace(/\(.*\)/, '()'))).toEqual([
      expect.stringMatching(/^cli:\d+ +ok +chdir \/ \(\)\n$/),
      expect.stringMatching(/^cli:\d+ +── created ──\n$/),
    ]);
  });
});
