// The monitor of a detached container, small enough to leave one per container.
//
// With perl (perl-base is part of every Debian/Ubuntu system) the monitor makes itself a child
// subreaper (prctl PR_SET_CHILD_SUBREAPER), runs the runtime's `create` and `start` and lets the
// runtime exit: the container's init is re-parented to the monitor, which waits for it and so
// learns its exit status. Resident: one perl (~5 MB) — no runtime process stays behind. Without
// perl, a shell keeps the runtime's foreground `run` as the waiter (sh + the runtime).
// Either way the container writes straight into container.log, the log is kept under
// logMaxSize (the older half moves to container.log.1), and at the end the monitor records the
// exit status in `exit`, deletes the runtime state, unmounts the rootfs and, with --rm (once
// tslab saw the container start), removes it.
import { existsSync } from 'node:fs';

/** prctl's system call number, for perl's syscall(). */
const PRCTL_NR: Record<string, number> = { x64: 157, arm64: 167, riscv64: 167, arm: 172, s390x: 172, ppc64: 171, ia32: 172 };

const PERL_SHIM = String.raw`
use strict; use warnings; use POSIX qw(:sys_wait_h);
my ($rt, $root, $dir, $id, $rm, $max, $nr) = @ENV{qw(TSLAB_RT TSLAB_RT_ROOT TSLAB_DIR TSLAB_ID TSLAB_RM TSLAB_LOG_MAX TSLAB_PRCTL_NR)};
my $log = "$dir/container.log";
open(STDIN, '<', '/dev/null'); open(STDOUT, '>>', $log); open(STDERR, '>&', \*STDOUT);
$0 = "tslab-shim $id";
syscall($nr, 36, 1, 0, 0, 0) == 0 or die "tslab-shim: prctl(PR_SET_CHILD_SUBREAPER): $!\n";
$SIG{CHLD} = sub {};
sub rotate {
  my $size = -s $log // 0;
  return if $size <= $max;
  if (open(my $in, '<', $log)) {
    seek($in, $size - int($max / 2), 0); local $/; my $tail = <$in>; close $in;
    if (open(my $old, '>', "$log.1")) { print $old $tail; close $old; }
    truncate($log, 0);
  }
}
my %env = (%ENV); delete @ENV{grep { /^TSLAB_(RT|RT_ROOT|DIR|ID|RM|LOG_MAX|PRCTL_NR)$/ } keys %ENV};
my $code = 255;
unlink("$dir/init.pid");
if (system($rt, '--root', $root, 'create', '--bundle', $dir, '--pid-file', "$dir/init.pid", $id) == 0
    && system($rt, '--root', $root, 'start', $id) == 0) {
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
my @t = gmtime(); my $at = sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0]);
if (open(my $e, '>', "$dir/exit.tmp")) { print $e "$code $at\n"; close $e; rename("$dir/exit.tmp", "$dir/exit"); }
system($rt, '--root', $root, 'delete', '--force', $id);
system('umount', "$dir/rootfs") == 0 or system('umount', '-l', "$dir/rootfs");
if ($rm eq '1' && -e "$dir/started") { system('rm', '-rf', $dir); }
`;

const SH_SHIM = `
log="$TSLAB_DIR/container.log"
"$TSLAB_RT" --root "$TSLAB_RT_ROOT" run --bundle "$TSLAB_DIR" "$TSLAB_ID" </dev/null >>"$log" 2>&1 &
rt=$!
(
  while kill -0 $rt 2>/dev/null; do
    sleep 1
    size=$(wc -c <"$log" 2>/dev/null || echo 0)
    if [ "$size" -gt "$TSLAB_LOG_MAX" ]; then
      tail -c $((TSLAB_LOG_MAX / 2)) "$log" >"$log.1.tmp" && mv "$log.1.tmp" "$log.1" && : >"$log"
    fi
  done
) </dev/null >/dev/null 2>&1 &
wait $rt
code=$?
echo "$code $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$TSLAB_DIR/exit.tmp" && mv "$TSLAB_DIR/exit.tmp" "$TSLAB_DIR/exit"
"$TSLAB_RT" --root "$TSLAB_RT_ROOT" delete --force "$TSLAB_ID" >/dev/null 2>&1
umount "$TSLAB_DIR/rootfs" 2>/dev/null || umount -l "$TSLAB_DIR/rootfs" 2>/dev/null
if [ "$TSLAB_RM" = 1 ] && [ -e "$TSLAB_DIR/started" ]; then rm -rf "$TSLAB_DIR"; fi
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
