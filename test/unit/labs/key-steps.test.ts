// Key steps: which begin events a lab stops at, and the step controller letting the others run.
import { describe, expect, it } from 'vitest';
import { matchKeyStep } from '../../../src/labs/key-steps.js';
import { StepController } from '../../../src/tui/controller.js';
import type { TraceEvent } from '../../../src/tracer/event.js';
import type { KeyStep } from '../../../src/labs/format.js';

const begin = (step: string, args: TraceEvent['args'] = {}): TraceEvent => ({
  v: 1, seq: 1, id: `1:${step}`, t: 0, wall: 0, pid: 1, stage: 'cli', kind: 'syscall', phase: 'begin', step, args, summary: step,
});

describe('key steps', () => {
  const keys: KeyStep[] = [
    { step: 'unshare', match: { flags: 'CLONE_NEWPID' }, say: 'pid' },
    { step: 'cgroup.write', match: { path: /\/memory\.(max|limit_in_bytes)$/ }, say: 'mem' },
    { step: 'pivot_root', say: 'root' },
  ];
  it('match by step name and every argument (substring or pattern)', () => {
    expect(matchKeyStep(keys, begin('unshare', { flags: 'CLONE_NEWNS|CLONE_NEWPID' }))?.say).toBe('pid');
    expect(matchKeyStep(keys, begin('unshare', { flags: 'CLONE_NEWNS' }))).toBeUndefined();
    expect(matchKeyStep(keys, begin('cgroup.write', { path: '/sys/fs/cgroup/memory/x/memory.limit_in_bytes' }))?.say).toBe('mem');
    expect(matchKeyStep(keys, begin('cgroup.write', { path: '/sys/fs/cgroup/x/memory.max' }))?.say).toBe('mem');
    expect(matchKeyStep(keys, begin('cgroup.write', { path: '/sys/fs/cgroup/x/memory.swap.max' }))).toBeUndefined();
    expect(matchKeyStep(keys, begin('pivot_root', { new_root: '.' }))?.say).toBe('root');
  });

  it('the controller releases the begins that run through and waits at the others', () => {
    let released = 0;
    const c = new StepController(() => { released++; }, true, () => false, (e) => matchKeyStep(keys, e) === undefined);
    c.onEvent(begin('mkdir'));
    c.onEvent(begin('mount'));
    expect(released).toBe(2);
    expect(c.pending).toBe(0);
    c.onEvent(begin('pivot_root'));
    expect(released).toBe(2);
    expect(c.pending).toBe(1);
    expect(c.next()).toBe(true);
    expect(released).toBe(3);
  });
});
