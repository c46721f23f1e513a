import type { LabContext, LabDefinition } from '../../../src/labs/format.js';

const RT = '"$RUNTIME" --root "$RUNTIME_ROOT"';
// the exec'd program: a sleep with a duration nothing else uses, so both sides can tell it apart (the
// host ends it once the watcher has scanned while it ran: the duration is only an upper bound)
const PROGRAM = 'sleep 2.718';
// the watcher counts its finished scans here (the container's own tmpfs; the host reads it through /proc/<init>/root)
const ROUNDS = '/dev/shm/watch-rounds';

// The container's init plays the attacker of CVE-2019-5736: it watches every other process of its pid
// namespace, and each one whose exe is not a file of its own root it tries to open, read-only (never for
// writing), with its fds. Each process is reported once: "denied" (the kernel refused: non-dumpable),
// "FOREIGN" (an exe from outside the root, and it opened), "program" (the exec'd sleep). After each
// whole scan it counts one more in ${ROUNDS}.
const WATCH = `
seen=" "
say() { case "$seen" in *" $1 "*) ;; *) seen="$seen$1 "; echo "$2";; esac; }
rounds=0
echo "watching /proc"
while :; do
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [ "$p" = 1 ] && continue
    # the attack's first move: open /proc/<pid>/exe read-only (EACCES while the process is non-dumpable)
    if ! err=$( { : < $d/exe; } 2>&1 ); then
      case "$err" in *ermission*)
        case "$(ls -l $d/fd/0 2>&1)" in *ermission*) fd=EACCES;; *"No such"*) fd=none;; *) fd=readable;; esac
        # still refused, so the fd was probed before it exec'd the program (which is dumpable)
        # (a subshell: a failed redirection of a special builtin ends the shell that runs it)
        (: < $d/exe) 2>/dev/null && continue
        say "$p:denied" "denied $p: open exe: EACCES, fd/0: $fd";;
      esac
      continue
    fi
    # opened: whose file is it? the exe's device:inode against the path it names in this root
    s1=$(stat -L -c %d:%i $d/exe 2>/dev/null) || continue
    e=$(readlink $d/exe 2>/dev/null) || continue
    s2=$(stat -c %d:%i "$e" 2>/dev/null)
    # it exec'd in between (the helper became the program): look again next round
    [ "$(stat -L -c %d:%i $d/exe 2>/dev/null)" = "$s1" ] || continue
    if [ "$s1" = "$s2" ]; then
      tr '\\0' ' ' < $d/cmdline 2>/dev/null | grep -q '^${PROGRAM} $' && say "$p:program" "program $p: exe $e, the root's own file ($s1)"
      continue
    fi
    n=0; for f in $d/fd/*; do readlink $f >/dev/null 2>&1 && n=$((n+1)); done
    say "$p:foreign" "FOREIGN $p: exe $e ($s1) is no file of this root, and it opened read-only; its fds readable: $n"
  done
  rounds=$((rounds + 1)); echo $rounds > ${ROUNDS}
done`;

/** The watcher's report lines of one kind. */
const lines = (lab: LabContext, kind: string): string[] =>
  lab.container('c').output().split('\n').filter((l) => l.startsWith(`${kind} `));

// From the host, while the exec runs: the exec'd program's exe against the file in the container's root.
const EXEC_AND_LOOK = [
  `${RT} exec "$ID_C" ${PROGRAM} & x=$!`,
  'ns=$(readlink /proc/$PID_C/ns/pid); p=; n=0',
  `while [ -z "$p" ] && [ $n -lt 200 ]; do for c in $(pgrep -x -f '${PROGRAM}'); do [ "$(readlink /proc/$c/ns/pid)" = "$ns" ] && p=$c; done; [ -n "$p" ] || sleep 0.02; n=$((n+1)); done`,
  '[ -n "$p" ] && e=$(readlink /proc/$p/exe) && echo "program $p exe $e: $(stat -L -c %d:%i /proc/$p/exe) in the rootfs: $(stat -c %d:%i "$ROOTFS_C$e")"',
  // two more scans ended: the second began after the program was found, so one whole scan saw every
  // process that lived in the container during the exec; then the program may end (SIGTERM: 143)
  // (no file yet: none ended; an empty one is being written: read again)
  `rounds() { while :; do v=$(cat "/proc/$PID_C/root${ROUNDS}" 2>/dev/null) || { echo 0; return; }; [ -n "$v" ] && { echo "$v"; return; }; done; }`,
  'r=$(rounds); n=0',
  'while [ -n "$p" ] && [ -d /proc/$p ] && [ "$(rounds)" -lt $((r + 2)) ] && [ $n -lt 500 ]; do sleep 0.01; n=$((n+1)); done',
  '[ -n "$p" ] && kill $p 2>/dev/null',
  'wait $x; s=$?; case $s in 0|143) ;; *) echo "exec exited $s" >&2; exit $s;; esac',
].join('\n');

// Short execs until the watcher has caught the runtime's helper at least once (it lives for milliseconds).
const CATCH_HELPER = `n=0; until grep -q '^denied ' "$SCRATCH/c.output" || [ $n -ge 60 ]; do ${RT} exec "$ID_C" true; n=$((n+1)); done; ` +
  'echo "execs: $n"; grep -E "^(denied|FOREIGN|program) " "$SCRATCH/c.output"';

export default {
  title: 'exec and /proc/<pid>/exe (CVE-2019-5736): the runtime\'s binary is out of the container\'s reach',
  summary: 'While `exec` joins a container, the runtime\'s helper is a host program inside the container\'s pid ' +
    'namespace. runc before 1.0-rc6 let a process of the container open /proc/<helper>/exe, keep the fd, and ' +
    'overwrite the host\'s runc once it stopped running. The container\'s init watches every process during ' +
    'exec: the helper refuses it (non-dumpable: EACCES on its exe and fds), and the exec\'d program is the ' +
    'container\'s own busybox.',
  containers: { c: { image: 'busybox', args: ['sh', '-c', WATCH], ready: 'watching /proc' } },
  steps: [
    {
      title: 'An exec, watched from inside and from the host',
      say: `The host runs \`runtime exec ${PROGRAM}\`: the exec lasts, and while it does the host finds the exec'd ` +
        'process and compares its /proc/<pid>/exe with the file in the container\'s root. Meanwhile the container\'s ' +
        'init scans /proc for every process it can see and opens the exe of each one that is not a file of its own root.',
      run: [{ sh: EXEC_AND_LOOK, saveAs: 'program' }],
      checks: [
        {
          title: 'the exec\'d program is the container\'s own binary (same device and inode as in its root)',
          from: 'outside',
          hint: (seen) => `Seen: ${seen}. The exec'd process runs a file that is not the container's: the runtime exec'd ` +
            'its own binary, or a path outside the container\'s root.',
          verify: (lab) => {
            const m = /exe (\S+): (\S+) in the rootfs: (\S+)/.exec(lab.memo.program ?? '');
            return lab.expect.that(!!m && m[2] === m[3], 'the exe and the rootfs file are one inode', lab.memo.program || 'the program was not found');
          },
        },
        {
          title: 'inside, the watcher saw the exec\'d program: it was looking while exec ran',
          from: 'inside',
          hint: 'The watcher never saw the exec\'d sleep: it was not scanning during the exec, so its other findings say nothing.',
          verify: (lab) => lab.expect.that(lines(lab, 'program').length > 0, 'a "program" line', lines(lab, 'program').join(' | ') || 'none'),
        },
        {
          title: 'inside, no process has an exe from outside the container\'s root that opens',
          from: 'inside',
          hint: (seen) => `${seen}. A dumpable host binary ran in the container's pid namespace: its /proc/<pid>/exe is ` +
            'the host\'s file, and a process holding it open could write it once it no longer runs (the CVE).',
          verify: (lab) => lab.expect.that(lines(lab, 'FOREIGN').length === 0, 'no "FOREIGN" line', lines(lab, 'FOREIGN').join(' | ') || 'none'),
        },
      ],
    },
    {
      title: 'Catching the runtime\'s helper',
      say: 'The helper lives in the container for milliseconds: between joining the pid namespace and exec\'ing the ' +
        'program. The host repeats short execs until the watcher has caught one, and prints what the watcher found.',
      run: [{ sh: CATCH_HELPER }],
      checks: [
        {
          title: 'inside, the runtime\'s helper was caught, and its exe and fds gave EACCES (non-dumpable)',
          from: 'inside',
          hint: (seen) => `${seen}. A helper whose exe opens from inside is dumpable: the runtime must prctl(PR_SET_DUMPABLE, 0) ` +
            'before it enters the container\'s pid namespace, and stay so until execve.',
          verify: (lab) => {
            const denied = lines(lab, 'denied');
            const ok = denied.length > 0 && !denied.some((l) => l.endsWith('fd/0: readable'));
            return lab.expect.that(ok, 'at least one "denied" line, its fds EACCES too', denied.join(' | ') || 'the helper was never caught');
          },
        },
        {
          title: 'inside, no fd of a process from outside the container\'s root was readable',
          from: 'inside',
          hint: (seen) => `${seen}. /proc/<pid>/fd/N of a host process is a way to its files (and, for a directory, out of the root).`,
          verify: (lab) => {
            const readable = lines(lab, 'FOREIGN').filter((l) => !l.endsWith('fds readable: 0'));
            return lab.expect.that(readable.length === 0, 'none', readable.join(' | ') || 'none');
          },
        },
      ],
    },
  ],
  controls: [{
    wrapper: 'exec-host-binary',
    mustFail: ['inside, no process has an exe from outside the container\'s root that opens',
      'inside, no fd of a process from outside the container\'s root was readable'],
  }],
} satisfies LabDefinition;
