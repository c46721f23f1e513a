import type { LabDefinition } from '../../../src/labs/format.js';

// The container's own process plays the attacker of CVE-2024-21626: any directory fd it inherited from
// the runtime is a way out of its root, since /proc/self/fd/N names the host directory itself, and
// ".." from there climbs the host's tree, not the container's.
const ATTACK = [
  'echo "open fds: $(ls /proc/$$/fd | tr "\\n" " ")"',
  'for fd in 3 4 5 6 7 8 9 10 11 12; do if cd -P /proc/self/fd/$fd 2>/dev/null; then cd -P ../../..; echo "ESCAPED via fd $fd, now in: $(ls | head -n 8 | tr "\\n" " ")"; cd /; fi; done',
  'echo "attack done"',
  'exec sleep 1000000',
].join('; ');

export default {
  title: 'Leaked fds (CVE-2024-21626): no host directory reaches the container',
  summary: 'runc before 1.1.12 left a file descriptor of the host\'s /sys/fs/cgroup open when it exec\'d the ' +
    'container\'s program; with process.cwd set to /proc/self/fd/7 (or a cd into it) the program stood in the ' +
    'host\'s file system, outside its pivot_root. A runtime closes every fd above stdio before exec: the ' +
    'container\'s process tries them all and finds none.',
  containers: { c: { image: 'busybox', args: ['sh', '-c', ATTACK], ready: 'attack done' } },
  steps: [
    {
      title: 'The attack, from inside',
      say: 'The container\'s process listed its open fds and tried cd /proc/self/fd/N for N from 3 to 12. A leaked ' +
        'directory fd would let it cd there and climb with ".." into the host\'s root: the kernel resolves ".." ' +
        'from where the fd points, and that is outside the container\'s root, so pivot_root does not apply. ' +
        'Nothing was there: the runtime closed them (close_range(3, ~0) or O_CLOEXEC on everything it opens).',
      run: [{ sh: 'cat "$SCRATCH/c.output"; echo "fds of the container\'s process, seen by the host:"; ls -l /proc/$PID_C/fd | tail -n +2' }],
      checks: [
        {
          title: 'inside, no inherited fd leads out of the root',
          from: 'inside',
          hint: (seen) => `${seen}: the runtime passed a host directory to the container (an fd without O_CLOEXEC, or --preserve-fds).`,
          verify: (lab) => {
            const out = lab.container('c').output();
            return lab.expect.that(!/ESCAPED/.test(out) && /attack done/.test(out), 'no "ESCAPED" line',
              out.split('\n').filter((l) => /ESCAPED|open fds/.test(l)).join(' | '));
          },
        },
        {
          title: 'the host sees only stdin, stdout and stderr open in the container\'s process',
          from: 'outside',
          hint: (seen) => `Open fds: ${seen}. Every fd above 2 is something the runtime forgot to close.`,
          verify: async (lab) => {
            const fds = (await lab.outside('ls /proc/$PID_C/fd | sort -n | tr "\\n" " "')).out;
            return lab.expect.equal(fds, '0 1 2');
          },
        },
        {
          title: 'no fd of the container\'s process is a directory',
          from: 'outside',
          hint: (seen) => `Directories open: ${seen}. With one, /proc/self/fd/N is a door out of the container's root.`,
          verify: async (lab) => {
            const r = await lab.outside('for f in /proc/$PID_C/fd/*; do [ -d "$f" ] && echo "$(basename $f) -> $(readlink $f)"; done; true');
            return lab.expect.equal(r.out || 'none', 'none');
          },
        },
      ],
    },
  ],
  controls: [{
    wrapper: 'leak-fd',
    mustFail: ['inside, no inherited fd leads out of the root', 'the host sees only stdin, stdout and stderr open in the container\'s process',
      'no fd of the container\'s process is a directory'],
  }],
} satisfies LabDefinition;
