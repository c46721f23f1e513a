import type { LabDefinition } from '../../../src/labs/format.js';

const PROBE = '/usr/local/bin/whoami-suid';
// A tiny setuid-root program (busybox drops setuid privileges on its own, so it cannot show this):
// it prints the ids execve gave it and the effective capabilities.
const SOURCE = String.raw`#include <stdio.h>
#include <unistd.h>
int main(void) {
  char line[256]; FILE *f = fopen("/proc/self/status", "r");
  printf("ruid %d euid %d\n", getuid(), geteuid());
  while (f && fgets(line, sizeof line, f)) if (line[0] == 'C' && line[3] == 'E') fputs(line, stdout);
  return 0;
}`;
const BUILD = [
  'command -v gcc >/dev/null || { echo "gcc (and libc6-dev) are needed to build the setuid probe"; exit 1; }',
  `printf '%s\\n' '${SOURCE.replace(/'/g, "'\\''")}' > "$SCRATCH/probe.c"`,
  'gcc -static -O -o "$SCRATCH/probe" "$SCRATCH/probe.c"',
  // into both containers' roots (their merged overlays), owned by root, mode 4755: setuid root
  `for r in "$ROOTFS_NNP" "$ROOTFS_PLAIN"; do mkdir -p "$r/usr/local/bin" && install -o 0 -g 0 -m 4755 "$SCRATCH/probe" "$r${PROBE}.tmp" && mv "$r${PROBE}.tmp" "$r${PROBE}"; done`,
  `ls -l "$ROOTFS_NNP${PROBE}"`,
].join(' && ');
// each container's process (uid 1000) waits for the probe to appear, runs it, and keeps running
const args = ['sh', '-c', `until [ -x ${PROBE} ]; do usleep 20000; done; ${PROBE}; echo "probe done"; exec sleep 1000000`];
const euid = (out: string): string => /euid (\d+)/.exec(out)?.[1] ?? '(the probe has not run)';

export default {
  title: 'no_new_privs against a setuid-root binary',
  summary: 'A user (uid 1000) in a container runs a setuid-root binary. Without no_new_privs execve makes it ' +
    'euid 0, as setuid always did; with process.noNewPrivileges (docker\'s --security-opt no-new-privileges) ' +
    'the kernel ignores the setuid bit and the binary runs as uid 1000.',
  containers: {
    nnp: { image: 'busybox', rootfs: 'overlay', user: { uid: 1000, gid: 1000 }, noNewPrivileges: true, args },
    plain: { image: 'busybox', rootfs: 'overlay', user: { uid: 1000, gid: 1000 }, noNewPrivileges: false, args },
  },
  steps: [
    {
      title: 'Put a setuid-root binary in both containers',
      say: 'The host compiles a static program that prints its real and effective uid, and installs it in each ' +
        'container\'s root as root:root, mode 4755 (the s in -rwsr-xr-x). Both containers run as uid 1000 and are ' +
        'waiting for it; they differ only in process.noNewPrivileges.',
      run: [{ sh: BUILD, timeoutMs: 120_000 }],
      checks: [
        {
          title: 'without no_new_privs, the binary runs with euid 0',
          from: 'inside',
          hint: (seen) => `euid ${seen}: the setuid bit did nothing even without no_new_privs (a nosuid mount?), so the other check proves nothing.`,
          verify: async (lab) => {
            const out = await lab.waitFor('the plain container to run the probe', () => (lab.container('plain').output().includes('probe done') ? lab.container('plain').output() : undefined), 30_000);
            return lab.expect.equal(euid(out), '0');
          },
        },
        {
          title: 'with no_new_privs, the same binary runs with euid 1000',
          from: 'inside',
          hint: (seen) => `euid ${seen}: execve honoured the setuid bit, so NoNewPrivs was not set on the container's process.`,
          verify: async (lab) => {
            const out = await lab.waitFor('the nnp container to run the probe', () => (lab.container('nnp').output().includes('probe done') ? lab.container('nnp').output() : undefined), 30_000);
            return lab.expect.equal(euid(out), '1000');
          },
        },
        {
          title: 'the host reads NoNewPrivs: 1 for one container and 0 for the other',
          from: 'outside',
          hint: (seen) => `Saw ${seen}.`,
          verify: (lab) => {
            const f = (name: string): string => /^NoNewPrivs:\s*(\d)/m.exec(lab.readFile(`/proc/${lab.container(name).pid}/status`))?.[1] ?? '?';
            return lab.expect.equal(`nnp ${f('nnp')}, plain ${f('plain')}`, 'nnp 1, plain 0');
          },
        },
      ],
    },
  ],
  controls: [{
    wrapper: 'nnp-off',
    mustFail: ['with no_new_privs, the same binary runs with euid 1000', 'the host reads NoNewPrivs: 1 for one container and 0 for the other'],
  }],
} satisfies LabDefinition;
