// The sys layer with the recording backend: decoded arguments, errors with errno names and hints,
// and every call as a begin/end pair of trace events.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingBackend } from '../../../src/runtime/sys/recording.js';
import { setSysBackend, sys, CLONE, MS, MNT, SysError, cloneFlagNames, mountFlagNames, writeKernelFile } from '../../../src/runtime/sys/index.js';
import { tracer, memorySink } from '../../../src/tracer/tracer.js';
import type { TraceEvent } from '../../../src/tracer/event.js';

let backend: RecordingBackend;
let events: TraceEvent[];
let remove: () => void;

beforeEach(() => {
  backend = new RecordingBackend();
  setSysBackend(backend);
  const m = memorySink();
  events = m.events;
  remove = tracer.addSink(m.sink);
});

afterEach(() => {
  remove();
  setSysBackend(undefined);
  tracer.setFaults(undefined);
});

describe('flag decoding', () => {
  it('names clone flags', () => {
    expect(cloneFlagNames(CLONE.CLONE_NEWPID | CLONE.CLONE_NEWNS)).toBe('CLONE_NEWNS|CLONE_NEWPID');
    expect(cloneFlagNames(0)).toBe('0');
  });
  it('names mount flags and keeps unknown bits visible', () => {
    expect(mountFlagNames(MS.MS_REC | MS.MS_PRIVATE)).toBe('MS_REC|MS_PRIVATE');
    expect(mountFlagNames(MS.MS_BIND | 0x80000000)).toBe('MS_BIND|0x80000000');
  });
});

describe('traced calls', () => {
  it('unshare emits begin and end with decoded flags', () => {
    sys.unshare(CLONE.CLONE_NEWUTS | CLONE.CLONE_NEWIPC);
    expect(backend.calls).toEqual([{ call: 'unshare', args: [CLONE.CLONE_NEWUTS | CLONE.CLONE_NEWIPC] }]);
    expect(events.map((e) => e.phase)).toEqual(['begin', 'end']);
    expect(events[1]).toMatchObject({ kind: 'syscall', step: 'unshare', args: { flags: 'CLONE_NEWUTS|CLONE_NEWIPC' }, summary: 'unshare CLONE_NEWUTS|CLONE_NEWIPC' });
    expect(events[0]!.id).toBe(events[1]!.id);
    expect(typeof events[1]!.dur).toBe('number');
  });

  it('mount and umount2 summaries read like the command line', () => {
    sys.mount(null, '/', null, MS.MS_REC | MS.MS_SLAVE, null);
    sys.umount2('.', MNT.MNT_DETACH);
    const ends = events.filter((e) => e.phase === 'end').map((e) => e.summary);
    expect(ends).toEqual(['mount none / MS_REC|MS_SLAVE', 'umount2 . MNT_DETACH']);
  });

  it('a failure carries the call, the errno name and a hint, in the error and the end event', () => {
    backend.failNext('pivot_root', 'EINVAL');
    let error: unknown;
    try {
      sys.pivotRoot('.', '.');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SysError);
    expect((error as SysError).errno).toBe('EINVAL');
    expect((error as SysError).message).toMatch(/pivot_root.*EINVAL.*mount point/);
    expect(events[1]).toMatchObject({ phase: 'end', errno: 'EINVAL' });
  });

  it('capset names the capabilities of each set', () => {
    sys.capset({ effective: 1n << 21n, permitted: (1n << 21n) | 1n, inheritable: 0n });
    expect(events[1]!.args).toEqual({ effective: 'CAP_SYS_ADMIN', permitted: 'CAP_CHOWN|CAP_SYS_ADMIN', inheritable: '0' });
  });

  it('kernel file writes are write events with the value', () => {
    expect(() => writeKernelFile('/nonexistent/tslabt/memory.max', '1024', 'cgroup.write')).toThrow(/ENOENT/);
    expect(events[1]).toMatchObject({ kind: 'write', step: 'cgroup.write', args: { path: '/nonexistent/tslabt/memory.max', value: '1024' }, errno: 'ENOENT' });
  });
});

describe('fault injection', () => {
  it('fails the Nth call of a step without running it', () => {
    tracer.setFaults('mount:2:EPERM');
    sys.mount('a', '/a', null, 0, null);
    expect(() => sys.mount('b', '/b', null, 0, null)).toThrow(/EPERM/);
    sys.mount('c', '/c', null, 0, null);
    expect(backend.calls.map((c) => c.args[0])).toEqual(['a', 'c']);
  });

  it('can target one stage', () => {
    tracer.setFaults('init/unshare:1:EINVAL');
    expect(tracer.stage).toBe('cli');
    sys.unshare(CLONE.CLONE_NEWNS);
    expect(backend.calls).toHaveLength(1);
  });

  it('rejects a malformed spec with a clear message', () => {
    expect(() => tracer.setFaults('mount-2-EPERM')).toThrow(/step:occurrence:ERRNO/);
  });
});
