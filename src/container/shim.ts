// The monitor of a container, small enough to leave one per detached container.
//
// With perl (perl-base is part of every Debian/Ubuntu system) the monitor makes itself a child
// subreaper (prctl PR_SET_CHILD_SUBREAPER), runs the runtime's `create`, waits for tslab's word on
// the go pipe (fd TSLAB_GO_FD) — tslab attaches the network to the created init in between —
// then runs `start` and lets the runtime exit: the container's init is re-parented to the
// monitor, which waits for it and so learns its exit status. Resident: one perl (~5 MB) — no
// runtime process stays behind. Anything but "start" on the go pipe (or its end: tslab died)
// deletes the created container instead. Without perl, a shell does the same but can only poll
// the init, so the exit status is unknown (255).
//
// Detached, the container writes straight into container.log, the log is kept under logMaxSize
// (the older half moves to container.log.1), and at the end the monitor records the exit status
// in `exit` (after releasing the network with `TSLAB_BIN network disconnect`), deletes the runtime
// state, unmounts the rootfs and, with --rm (once tslab saw the container start), removes it.
// In the foreground (TSLAB_FG=1) the container shares the monitor's stdio (tslab's pipes), the
// monitor ignores ^C (tslab forwards it to the container) and exits with the container's status.
import { existsSync } from 'node:fs';

/** prctl's system call number, for perl's syscall(). */
const PRCTL_NR: Record<string, number> = { x64: 157, arm64: 167, riscv64: 167, arm: 172, s390x: 172, ppc64: 171, ia32: 172 };

const PERL_SHIM = String.raw`
use strict; use warnings; use POSIX qw(:sys_wait_h); use Errno;
my ($rt, $root, $dir, $id, $rm, $max, $nr, $fg, $gofd, $node, $bin) =
  map { $_ // '' } @ENV{qw(TSLAB_RT TSLAB_RT_ROOT TSLAB_DIR TSLAB_ID TSLAB_RM TSLAB_LOG_MAX TSLAB_PRCTL_NR TSLAB_FG TSLAB_GO_FD TSLAB_NODE TSLAB_BIN)};
my $log = "$dir/container.log";
if ($fg ne '1') { open(STDIN, '<', '/dev/null'); open(STDOUT, '>>', $log); open(STDERR, '>&', \*STDOUT); }
$0 = "tslab-shim $id";
syscall($nr, 36, 1, 0, 0, 0) == 0 or die "tslab-shim: prctl(PR_SET_CHILD_SUBREAPER): $!\n";
$SIG{CHLD} = sub {};
if ($fg eq '1') { $SIG{INT} = sub {}; $SIG{TERM} = sub {}; }
sub rotate {
  return if $fg eq '1';
  my $size = -s $log // 0;
  return if $size <= $max;
  if (open(my $in, '<', $log)) {
    seek($in, $size - int($max / 2), 0); local $/; my $tail = <$in>; close $in;
    if (open(my $old, '>', "$log.1")) { print $old $tail; close $old; }
    truncate($log, 0);
  }
}
sub go_word {
  return 'start' if $gofd eq '';
  open(my $g, '<&=', $gofd) or return '';
  my $buf = '';
  while (1) {
    my $n = sysread($g, my $c, 64);
    if (!defined $n) { next if $!{EINTR}; last; }
    last if $n == 0;
    $buf .= $c;
    last if $buf =~ /\n/;
  }
  close $g;
  my ($w) = split /\n/, $buf; return $w // '';
}
# start.result tells tslab whether the runtime's start worked (a failed exec shows only there)
sub mark {
  my ($ok) = @_;
  if (open(my $m, '>', "$dir/start.tmp")) { print $m ($ok ? "ok\n" : "failed\n"); close $m; rename("$dir/start.tmp", "$dir/start.result"); }
  return $ok;
}
# the trace pipes of a --tui/--step run must not stay open in a monitor that outlives tslab
# (in the foreground it ends first, and its delete shows in the trace)
sub close_trace {
  for my $k (qw(TSLAB_EVENTS_FD TSLAB_CONTROL_FD)) { POSIX::close($ENV{$k}) if defined $ENV{$k} && $ENV{$k} =~ /^\d+$/; delete $ENV{$k}; }
}
delete @ENV{grep { /^TSLAB_(RT|RT_ROOT|DIR|ID|RM|LOG_MAX|PRCTL_NR|FG|GO_FD|NODE|BIN)$/ } keys %ENV};
my $code = 255;
unlink("$dir/init.pid");
if (system($rt, '--root', $root, 'create', '--bundle', $dir, '--pid-file', "$dir/init.pid", $id) == 0) {
  if (go_word() eq 'start' && mark(system($rt, '--root', $root, 'start', $id) == 0)) {
    close_trace() if $fg ne '1';
    my $pid = 0;
    if (open(my $f, '<', "$dir/init.pid")) { $pid = <$f> // 0; chomp $pid; close $f; }
    while ($pid) {
      my $r = waitpid(-1, WNOHANG);
      if ($r == $pid) { $code = WIFEXITED($?) ? WEXITSTATUS($?) : 128 + WTERMSIG($?); last; }
      if ($r == -1) {
        # the init is not our child after all: wait for it to go, status unknown
        while (kill(0, $pid)) { sleep 1; rotate(); }
        last;
      }
      if ($r == 0) { sleep 1; rotate(); }
    }
  }
}
close_trace() if $fg ne '1';
# release the network before the exit file says "exited": a restart right after must not lose its new lease to us
if ($node ne '' && $bin ne '') { system('sh', '-c', '"$0" "$1" network disconnect "$2" >/dev/null 2>&1', $node, $bin, $id); }
my @t = gmtime(); my $at = sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0]);
if (open(my $e, '>', "$dir/exit.tmp")) { print $e "$code $at\n"; close $e; rename("$dir/exit.tmp", "$dir/exit"); }
system($rt, '--root', $root, 'delete', '--force', $id);
system('umount', "$dir/rootfs") == 0 or system('umount', '-l', "$dir/rootfs");
if ($rm eq '1' && -e "$dir/started") { system('rm', '-rf', $dir); }
exit($code > 255 ? 255 : $code);
`;

const SH_SHIM = `
log="$TSLAB_DIR/container.log"
[ "$TSLAB_FG" = 1 ] || exec </dev/null >>"$log" 2>&1
code=255
rm -f "$TSLAB_DIR/init.pid"
if [ -n "$TSLAB_GO_FD" ]; then
  # create, wait for tslab's word (it attaches the network), start; the init is not our child:
  # poll it, its exit status stays unknown
  if "$TSLAB_RT" --root "$TSLAB_RT_ROOT" create --bundle "$TSLAB_DIR" --pid-file "$TSLAB_DIR/init.pid" "$TSLAB_ID"; then
    eval "read -r go <&$TSLAB_GO_FD"
    if [ "$go" = start ] && { "$TSLAB_RT" --root "$TSLAB_RT_ROOT" start "$TSLAB_ID" && echo ok >"$TSLAB_DIR/start.result" || { echo failed >"$TSLAB_DIR/start.result"; false; }; }; then
      pid=$(cat "$TSLAB_DIR/init.pid")
      while kill -0 "$pid" 2>/dev/null; do sleep 1; done
    fi
  fi
else
  "$TSLAB_RT" --root "$TSLAB_RT_ROOT" run --bundle "$TSLAB_DIR" "$TSLAB_ID" &
  rt=$!
  if [ "$TSLAB_FG" != 1 ]; then (
    while kill -0 $rt 2>/dev/null; do
      sleep 1
      size=$(wc -c <"$log" 2>/dev/null || echo 0)
      if [ "$size" -gt "$TSLAB_LOG_MAX" ]; then
        tail -c $((TSLAB_LOG_MAX / 2)) "$log" >"$log.1.tmp" && mv "$log.1.tmp" "$log.1" && : >"$log"
      fi
    done
  ) </dev/null >/dev/null 2>&1 & fi
  wait $rt
  code=$?
fi
if [ -n "$TSLAB_NODE" ] && [ -n "$TSLAB_BIN" ]; then "$TSLAB_NODE" "$TSLAB_BIN" network disconnect "$TSLAB_ID" >/dev/null 2>&1; fi
echo "$code $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$TSLAB_DIR/exit.tmp" && mv "$TSLAB_DIR/exit.tmp" "$TSLAB_DIR/exit"
"$TSLAB_RT" --root "$TSLAB_RT_ROOT" delete --force "$TSLAB_ID" >/dev/null 2>&1
umount "$TSLAB_DIR/rootfs" 2>/dev/null || umount -l "$TSLAB_DIR/rootfs" 2>/dev/null
if [ "$TSLAB_RM" = 1 ] && [ -e "$TSLAB_DIR/started" ]; then rm -rf "$TSLAB_DIR"; fi
exit $code
`;

export interface ShimCommand {
  program: string;
  args: string[];
  extraEnv: Record<string, string>;
}

/** The monitor to spawn (detached) for one container; TSLAB_SHIM=sh forces the shell one. */
export function shimCommand(): ShimCommand {
  const perl = ['/usr/bin/perl', '/bin/perl'].find((p) => existsSync(p));
  const nr = PRCTL_NR[process.arch];
  if (perl && nr !== undefined && process.env.TSLAB_SHIM !== 'sh') {
    return { program: perl, args: ['-e', PERL_SHIM], extraEnv: { TSLAB_PRCTL_NR: String(nr) } };
  }
  return { program: '/bin/sh', args: ['-c', SH_SHIM], extraEnv: {} };
}
