// A realistic synthetic trace of `oci run` (cli and init, begin/end pairs, lifecycle points), for
// tests, benchmarks and demos that must not need root. `extraSteps` pads the init with mknods.
import { TRACE_FORMAT_VERSION, type ArgValue, type EventKind, type Stage, type TraceEvent } from '../tracer/event.js';

interface Spec {
  stage: Stage;
  kind: EventKind;
  step: string;
  summary: string;
  args?: Record<string, ArgValue>;
  errno?: string;
  /** no end event (a successful execve) */
  noEnd?: boolean;
  dur?: number;
}

export function sampleTrace(opts: { container?: string; extraSteps?: number; cliPid?: number; initPid?: number; failAt?: string } = {}): TraceEvent[] {
  const container = opts.container ?? 'tslabt-demo';
  const cliPid = opts.cliPid ?? 4100;
  const initPid = opts.initPid ?? 4123;
  const cg = `/sys/fs/cgroup/tslab/${container}`;
  const cli = (kind: EventKind, step: string, summary: string, args: Record<string, ArgValue> = {}): Spec => ({ stage: 'cli', kind, step, summary, args });
  const init = (kind: EventKind, step: string, summary: string, args: Record<string, ArgValue> = {}): Spec => ({ stage: 'init', kind, step, summary, args });
  const specs: Spec[] = [
    cli('lifecycle', 'state.creating', 'state.creating'),
    cli('syscall', 'mkdir', `mkdir ${cg}`, { path: cg }),
    cli('write', 'cgroup.write', 'write memory.max = 33554432', { path: `${cg}/memory.max`, value: '33554432' }),
    cli('write', 'cgroup.write', 'write pids.max = 64', { path: `${cg}/pids.max`, value: '64' }),
    cli('syscall', 'unshare', 'unshare CLONE_NEWPID', { flags: 'CLONE_NEWPID' }),
    cli('syscall', 'setns', 'setns /proc/self/ns/pid CLONE_NEWPID', { fd: 20, nstype: 'CLONE_NEWPID', path: '/proc/self/ns/pid' }),
    cli('write', 'cgroup.write', `write cgroup.procs = ${initPid}`, { path: `${cg}/cgroup.procs`, value: String(initPid) }),
    init('syscall', 'unshare', 'unshare CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET|CLONE_NEWCGROUP',
      { flags: 'CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET|CLONE_NEWCGROUP' }),
    init('syscall', 'mount', 'mount none / MS_REC|MS_PRIVATE', { source: null, target: '/', fstype: null, flags: 'MS_REC|MS_PRIVATE', data: null }),
    init('syscall', 'mount', 'mount rootfs rootfs MS_BIND|MS_REC', { source: 'rootfs', target: 'rootfs', fstype: null, flags: 'MS_BIND|MS_REC', data: null }),
    init('syscall', 'mount', 'mount proc rootfs/proc -t proc MS_NOSUID|MS_NODEV|MS_NOEXEC', { source: 'proc', target: 'rootfs/proc', fstype: 'proc', flags: 'MS_NOSUID|MS_NODEV|MS_NOEXEC', data: null }),
    init('syscall', 'mount', 'mount tmpfs rootfs/dev -t tmpfs MS_NOSUID mode=755', { source: 'tmpfs', target: 'rootfs/dev', fstype: 'tmpfs', flags: 'MS_NOSUID', data: 'mode=755' }),
  ];
  for (let i = 0; i < (opts.extraSteps ?? 0); i++) {
    specs.push(init('syscall', 'mknod', `mknod rootfs/dev/tslabt${i} c 1 3`, { path: `rootfs/dev/tslabt${i}`, type: 'c', mode: '0666', major: 1, minor: 3 }));
  }
  specs.push(
    init('syscall', 'mknod', 'mknod rootfs/dev/null c 1:3', { path: 'rootfs/dev/null', type: 'c', mode: '0666', major: 1, minor: 3 }),
    init('syscall', 'sethostname', `sethostname ${container}`, { name: container }),
    init('syscall', 'chdir', 'chdir rootfs', { path: 'rootfs' }),
    init('syscall', 'pivot_root', 'pivot_root . .', { new_root: '.', put_old: '.' }),
    init('syscall', 'umount2', 'umount2 . MNT_DETACH', { target: '.', flags: 'MNT_DETACH' }),
    init('syscall', 'chdir', 'chdir /', { path: '/' }),
    init('syscall', 'prctl', 'prctl PR_SET_NO_NEW_PRIVS 1', { option: 'PR_SET_NO_NEW_PRIVS', arg: '1' }),
    init('syscall', 'capset', 'capset effective=14 caps', { effective: 'CAP_CHOWN|CAP_KILL', permitted: 'CAP_CHOWN|CAP_KILL', inheritable: '0' }),
    init('syscall', 'setresgid', 'setresgid 0 0 0', { rgid: 0, egid: 0, sgid: 0 }),
    init('syscall', 'setresuid', 'setresuid 0 0 0', { ruid: 0, euid: 0, suid: 0 }),
    init('syscall', 'close_range', 'close_range 3 ~0 CLOSE_RANGE_CLOEXEC', { first: 3, last: '~0', flags: 'CLOSE_RANGE_CLOEXEC' }),
    init('syscall', 'fcntl', 'fcntl 0 F_SETFD ~FD_CLOEXEC', { fd: 0, cmd: 'F_SETFD' }),
    init('syscall', 'signal', 'signal SIGPIPE SIG_DFL', { signal: 'SIGPIPE', handler: 'SIG_DFL' }),
    init('syscall', 'sigprocmask', 'sigprocmask SIG_SETMASK {}', { how: 'SIG_SETMASK', set: 'empty' }),
    { ...init('exec', 'execve', 'execve /bin/true', { path: '/bin/true', argv: ['/bin/true'], env: ['PATH=…'] }), noEnd: true },
    cli('lifecycle', 'state.created', 'state.created'),
    cli('lifecycle', 'state.running', 'state.running'),
    cli('lifecycle', 'state.stopped', 'state.stopped'),
    cli('syscall', 'rmdir', `rmdir ${cg}`, { path: cg }),
    cli('lifecycle', 'state.deleted', 'state.deleted'),
  );
  const events: TraceEvent[] = [];
  const seqs: Record<number, number> = { [cliPid]: 0, [initPid]: 0 };
  let t = 1_000_000;
  const wall0 = Date.UTC(2026, 10, 23, 5, 0, 0);
  for (const s of specs) {
    const pid = s.stage === 'init' ? initPid : cliPid;
    const dur = s.kind === 'lifecycle' ? 0 : s.dur ?? 0.05 + ((s.step.length * 7) % 13) / 20;
    const seq = ++seqs[pid]!;
    const id = `${pid}:${seq}`;
    const base = { v: TRACE_FORMAT_VERSION, id, pid, stage: s.stage, kind: s.kind, step: s.step, args: s.args ?? {}, summary: s.summary, container };
    events.push({ ...base, seq, t, wall: wall0 + (t - 1_000_000), phase: 'begin' });
    t += 0.02;
    if (s.noEnd) continue;
    const failed = opts.failAt === s.step;
    t += dur;
    events.push({
      ...base, seq: ++seqs[pid]!, t, wall: wall0 + (t - 1_000_000), phase: 'end', dur,
      ...(failed ? { errno: 'EPERM', error: `${s.step} failed: EPERM` } : {}),
    });
    t += 0.3;
  }
  return events;
}
