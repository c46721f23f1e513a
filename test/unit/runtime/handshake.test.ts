// The words between processes: the parent's messages down to the init (typed, one JSON line each)
// and the one rule that turns a process's end into an exit status.
import { describe, expect, it } from 'vitest';
import { decodeParentMessage, encodeParentMessage } from '../../../src/runtime/init/channel.js';
import { exitStatus, UNKNOWN_EXIT_STATUS } from '../../../src/runtime/lifecycle/signals.js';

describe('the parent → init protocol', () => {
  it('sends each message as one line and reads it back as the kind the init waits for', () => {
    const line = encodeParentMessage({ msg: 'go', hostPid: 4242 });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trimEnd()).not.toContain('\n');
    expect(decodeParentMessage(line.trimEnd(), 'go')).toEqual({ msg: 'go', hostPid: 4242 });
    const state = { ociVersion: '1.2.0', id: 'c1', status: 'creating', pid: 4242, bundle: '/b' };
    expect(decodeParentMessage(encodeParentMessage({ msg: 'hook-state', state }).trimEnd(), 'hook-state')).toEqual({ msg: 'hook-state', state });
  });

  it('refuses a message out of order and anything that is not one', () => {
    expect(decodeParentMessage(encodeParentMessage({ msg: 'joined' }).trimEnd(), 'go')).toBeUndefined();
    expect(decodeParentMessage('go 4242', 'go')).toBeUndefined(); // the old bare words
    expect(decodeParentMessage('null', 'joined')).toBeUndefined();
    expect(decodeParentMessage('', 'joined')).toBeUndefined();
  });
});

describe('exit status', () => {
  it('is the code, 128+N for signal N, and unknown (255) when neither is known', () => {
    expect(exitStatus(0, null)).toBe(0);
    expect(exitStatus(3, null)).toBe(3);
    expect(exitStatus(null, 'SIGKILL')).toBe(137);
    expect(exitStatus(null, 'SIGHUP')).toBe(129);
    expect(exitStatus(null, 'SIGUSR1')).toBe(138); // the old TUI map knew four signals and said 129
    expect(exitStatus(null, null)).toBe(UNKNOWN_EXIT_STATUS);
  });
});
