import type { LabDefinition } from '../../../src/labs/format.js';

// The classic chroot escape, in Perl (always on Debian hosts): join the container's mount namespace
// with setns(2), make a directory and chroot() into it without chdir(), so the cwd is now outside the
// root; then walk up with chdir("..") and at each level look for a file that only the host has.
// Under chroot alone that file turns up; under pivot_root the host's root is not in the namespace at all.
const ESCAPE = String.raw`
use strict;
my ($pid, $marker, $nr) = @ARGV;
if ($pid ne "jail") {
  open(my $ns, "<", "/proc/$pid/ns/mnt") or die "open ns: $!";
  syscall($nr, fileno($ns), 0) == 0 or die "setns: $!";
} else {
  chroot($ENV{JAIL}) or die "chroot jail: $!"; chdir("/") or die;
}
mkdir("/dev/shm/tslab-escape"); chdir("/");
chroot("/dev/shm/tslab-escape") or die "chroot: $!";
(my $rel = $marker) =~ s{^/}{};
for my $level (0 .. 64) {
  if (-e "./$rel") { print "ESCAPED: the host file $marker is reachable $level levels up\n"; exit 0 }
  chdir("..") or last;
}
print "CONTAINED: walked up 64 levels, the host file $marker is nowhere\n";
`;

const SETNS: Record<string, number> = { x64: 308, arm64: 268 };

// "major:minor root" of mountinfo lines; the host's root filesystem is the line whose mount point is "/"
const mounts = (mountinfo: string): { dev: string; root: string; point: string }[] =>
  mountinfo.split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    return { dev: f[2] ?? '', root: f[3] ?? '', point: f[4] ?? '' };
  });

export default {
  title: 'Mount namespace: private mounts, and why pivot_root beats chroot',
  summary: 'The container has its own mount table: a mount made inside never appears on the host. Its root ' +
    'is set with pivot_root, and the host\'s root is then unmounted from the namespace, so the classic chroot ' +
    'escape that breaks out of a plain chroot finds nothing.',
  containers: {
    c: {
      image: 'busybox',
      // /dev/shm is the container's own tmpfs: the escape needs a writable place for its directory
    },
  },
  keySteps: [{
    step: 'pivot_root',
    say: 'pivot_root(".", ".") makes the container\'s rootfs the root of its mount namespace and stacks the old root on top of it; the init then unmounts that old root, so the host\'s filesystem is gone from the namespace, not only hidden as chroot would leave it.',
  }],
  skipIf: (host) => (SETNS[host.arch] ? undefined : `the escape demo knows setns(2)'s number only on x86_64 and arm64, not ${host.arch}`),
  steps: [
    {
      title: 'A mount inside stays inside',
      say: 'We mount a tmpfs on /tmp inside the container. It is listed in the container\'s mountinfo, but the ' +
        'host\'s mount table does not change: each mount namespace has its own copy of the table.',
      run: [
        { in: 'c', sh: 'mount -t tmpfs tslab-lab-probe /tmp && grep tslab-lab-probe /proc/self/mountinfo' },
        { sh: 'grep -c tslab-lab-probe /proc/self/mountinfo || true' },
      ],
      checks: [
        {
          title: 'the container lists its tmpfs on /tmp',
          from: 'inside',
          hint: 'The mount did not happen inside: was the command run in the container\'s mount namespace?',
          verify: async (lab) => lab.expect.includes((await lab.inside('c', 'cat /proc/self/mountinfo')).out, 'tslab-lab-probe'),
        },
        {
          title: 'the host\'s mount table does not have it',
          from: 'outside',
          hint: 'The tmpfs shows on the host: the container shares the host\'s mount namespace ("mount" in linux.namespaces?).',
          verify: (lab) => lab.expect.excludes(lab.readFile('/proc/self/mountinfo'), 'tslab-lab-probe'),
        },
      ],
    },
    {
      title: 'The host\'s root is gone from the container\'s mount table',
      say: 'After pivot_root(new_root, put_old) the runtime unmounts put_old (the old root) from the new namespace. ' +
        'Read from the host, /proc/<pid>/mountinfo of the container lists its mounts: its root (the ' +
        'image\'s overlay), its own /proc and /dev, but not the host\'s "/" itself.',
      run: [{ sh: 'awk \'{print $3, $4, $5}\' /proc/$PID_C/mountinfo | head -5' }],
      checks: [
        {
          title: 'the host\'s root filesystem is not mounted in the container',
          from: 'outside',
          hint: 'The host\'s "/" is mounted in the container\'s namespace: a mount in config.json binds it in (like -v /:/host), or the runtime kept the old root mounted.',
          verify: (lab) => {
            const hostRoot = mounts(lab.readFile('/proc/self/mountinfo')).find((m) => m.point === '/');
            const inside = mounts(lab.readFile(`/proc/${lab.container('c').pid}/mountinfo`));
            const leaked = inside.filter((m) => m.dev === hostRoot?.dev && m.root === hostRoot?.root);
            return lab.expect.that(leaked.length === 0, `no mount of ${hostRoot?.dev} ${hostRoot?.root} (the host's "/")`,
              leaked.length ? `mounted at ${leaked.map((m) => m.point).join(', ')}` : 'not mounted');
          },
        },
      ],
    },
    {
      title: 'The chroot escape',
      say: 'A process that is root and has CAP_SYS_CHROOT can leave a chroot: chroot() into a subdirectory ' +
        'without changing directory leaves its cwd outside its new root, and chdir("..") then climbs past it. ' +
        'First against a plain chroot jail made from the bundle folder: it escapes. Then the same code inside ' +
        'the container\'s mount namespace: it climbs to the top of the namespace and finds no host file.',
      run: [
        { sh: 'mkdir -p "$BUNDLE_C/../host-only" && echo "$BUNDLE_C/../host-only" | xargs realpath', saveAs: 'marker' },
        { sh: (lab) => `mkdir -p "$BUNDLE_C/dev/shm" && JAIL="$BUNDLE_C" perl -e '${ESCAPE}' jail ${lab.memo.marker} ${SETNS[lab.host.arch]}`, saveAs: 'jail' },
        { sh: (lab) => `perl -e '${ESCAPE}' $PID_C ${lab.memo.marker} ${SETNS[lab.host.arch]}`, saveAs: 'container' },
      ],
      checks: [
        {
          title: 'a plain chroot jail is escaped (the escape works on this host)',
          from: 'outside',
          hint: 'The escape code itself did not work here, so the next check would prove nothing.',
          verify: (lab) => lab.expect.includes(lab.memo.jail ?? '', 'ESCAPED'),
        },
        {
          title: 'the same escape from inside the container finds no host file',
          from: 'inside',
          hint: 'The host\'s files are reachable from the container: its root was set with chroot, not pivot_root, and the old root is still mounted below.',
          verify: (lab) => lab.expect.includes(lab.memo.container ?? '', 'CONTAINED'),
        },
      ],
    },
    {
      title: 'Peel off the container\'s root: nothing underneath',
      say: 'Last, from the host, we lazily unmount "/" in the container\'s mount namespace (and only there: the ' +
        'command first makes sure that namespace is not the host\'s) and look at what lies beneath. After pivot_root ' +
        'and the unmount of the old root there is nothing of the host left: not even a shell to run. A runtime that ' +
        'only moved the image on top of the host\'s root (runc --no-pivot) leaves the whole host there.',
      run: [
        {
          sh: (lab) => [
            '[ "$(readlink /proc/$PID_C/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] || { echo "the container shares the host mount namespace: not touching it"; exit 1; }',
            'nsenter -t $PID_C -m umount -l /',
            `if nsenter -t $PID_C -m /bin/sh -c 'test -e ${lab.memo.marker}' 2>/dev/null; then echo HOST-ROOT-UNDERNEATH; else echo NOTHING-UNDERNEATH; fi`,
          ].join('\n'),
          saveAs: 'underneath',
        },
      ],
      checks: [
        {
          title: 'under the container\'s root there is no host filesystem',
          from: 'outside',
          hint: 'The host\'s root lies under the container\'s: the runtime did not pivot_root and unmount the old root (--no-pivot uses MS_MOVE + chroot).',
          verify: (lab) => lab.expect.equal(lab.memo.underneath ?? '', 'NOTHING-UNDERNEATH'),
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [
    { wrapper: 'no-pivot', mustFail: ['under the container\'s root there is no host filesystem'] },
    { wrapper: 'host-root-mount', mustFail: ['the host\'s root filesystem is not mounted in the container'] },
  ],
} satisfies LabDefinition;
