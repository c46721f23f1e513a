# The monitor of one container (see src/container/shim.ts, which starts it): create, wait for
# tslab's word on the go pipe, start, reap the init as its child subreaper, record the exit.
# Everything it needs comes in TSLAB_* variables (src/env.ts); the file names are tslab's.
use strict; use warnings; use POSIX qw(:sys_wait_h); use Errno;
my ($rt, $root, $dir, $id, $rm, $max, $nr, $fg, $gofd, $node, $bin, $log, $pidfile, $exitfile, $result, $started, $rootfs) =
  map { $_ // '' } @ENV{qw(TSLAB_RT TSLAB_RT_ROOT TSLAB_DIR TSLAB_ID TSLAB_RM TSLAB_LOG_MAX TSLAB_PRCTL_NR TSLAB_FG TSLAB_GO_FD
    TSLAB_NODE TSLAB_BIN TSLAB_LOG TSLAB_PID_FILE TSLAB_EXIT_FILE TSLAB_START_RESULT TSLAB_STARTED TSLAB_ROOTFS)};
if ($fg ne '1') { open(STDIN, '<', '/dev/null'); open(STDOUT, '>>', $log); open(STDERR, '>&', \*STDOUT); }
$0 = "tslab-shim $id";
# PR_SET_CHILD_SUBREAPER (36): the init, orphaned when the runtime's start exits, becomes our child
syscall($nr, 36, 1, 0, 0, 0) == 0 or die "tslab-shim: prctl(PR_SET_CHILD_SUBREAPER): $!\n";
$SIG{CHLD} = sub {};
if ($fg eq '1') { $SIG{INT} = sub {}; $SIG{TERM} = sub {}; }
# keeps the log under TSLAB_LOG_MAX: its last half moves to <log>.1 and the log starts again
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
# one line from tslab on the go pipe: start, or anything else (abort; EOF: tslab died)
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
# atomically: tslab polls for these files
sub write_file {
  my ($path, $text) = @_;
  if (open(my $m, '>', "$path.tmp")) { print $m $text; close $m; rename("$path.tmp", $path); }
}
# the start result tells tslab whether the runtime's start worked (a failed exec shows only there)
sub mark {
  my ($ok) = @_;
  write_file($result, $ok ? "ok\n" : "failed\n");
  return $ok;
}
# the trace pipes of a --tui/--step run must not stay open in a monitor that outlives tslab
# (in the foreground it ends first, and its delete shows in the trace)
sub close_trace {
  for my $k (qw(TSLAB_EVENTS_FD TSLAB_CONTROL_FD)) { POSIX::close($ENV{$k}) if defined $ENV{$k} && $ENV{$k} =~ /^\d+$/; delete $ENV{$k}; }
}
# the runtime sees only what it needs
delete @ENV{grep { /^TSLAB_(RT|RT_ROOT|DIR|ID|RM|LOG_MAX|PRCTL_NR|FG|GO_FD|NODE|BIN|LOG|PID_FILE|EXIT_FILE|START_RESULT|STARTED|ROOTFS)$/ } keys %ENV};
my $code = 255;
unlink($pidfile);
if (system($rt, '--root', $root, 'create', '--bundle', $dir, '--pid-file', $pidfile, $id) == 0) {
  if (go_word() eq 'start' && mark(system($rt, '--root', $root, 'start', $id) == 0)) {
    close_trace() if $fg ne '1';
    my $pid = 0;
    if (open(my $f, '<', $pidfile)) { $pid = <$f> // 0; chomp $pid; close $f; }
    while ($pid) {
      my $r = waitpid(-1, WNOHANG);
      # the exit status as a shell reports it (src/runtime/lifecycle/signals.ts): code, or 128+signal
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
write_file($exitfile, "$code $at\n");
system($rt, '--root', $root, 'delete', '--force', $id);
system('umount', $rootfs) == 0 or system('umount', '-l', $rootfs);
if ($rm eq '1' && -e $started) { system('rm', '-rf', $dir); }
exit($code > 255 ? 255 : $code);
