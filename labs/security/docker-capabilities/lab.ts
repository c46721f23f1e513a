import type { LabDefinition } from '../../../src/labs/format.js';

// docker's default capability set (moby's oci/caps/defaults.go): 14 of the kernel's 41
const DOCKER_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];
const CAP_NET_RAW = 13;
const CAP_SYS_ADMIN = 21;

// The container's own process probes (a shell entered with nsenter would carry the lab runner's
// capabilities instead).
const PROBE = [
  'echo "ping said: $(ping -c 1 -W 5 127.0.0.1 2>&1 | tr "\\n" " ")"',
  'mkdir -p /tmp/m; mount -t tmpfs probe /tmp/m 2>&1; echo "mount exit $?"',
  'grep -E "^Cap(Eff|Bnd)" /proc/self/status',
  'echo probe-done',
  'exec sleep 1000000',
].join('; ');

const capMask = (status: string, set: 'CapEff' | 'CapBnd'): bigint =>
  BigInt(`0x${new RegExp(`^${set}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`);
const bits = (mask: bigint): number => mask.toString(2).split('').filter((b) => b === '1').length;
const has = (mask: bigint, cap: number): boolean => ((mask >> BigInt(cap)) & 1n) === 1n;
const line = (out: string, re: RegExp): string => out.split('\n').find((l) => re.test(l)) ?? '';

export default {
  title: 'Docker\'s default capabilities: 14 of 41, ping yes, mount no',
  summary: 'docker run gives root in a container 14 capabilities (runc\'s bare spec gives 3). CAP_NET_RAW is among ' +
    'them, so ping can open a raw ICMP socket; CAP_SYS_ADMIN is not, so mount(2) fails. The effective set the ' +
    'kernel checks has exactly 14 bits set.',
  containers: {
    c: { image: 'busybox', rootfs: 'overlay', capabilities: DOCKER_CAPS, args: ['sh', '-c', PROBE], ready: 'probe-done' },
  },
  steps: [
    {
      title: 'What docker\'s set allows and what it does not',
      say: 'The container\'s process (uid 0, with the 14 capabilities tslab container run and docker give) pinged its ' +
        'own loopback, tried to mount a tmpfs and printed its capability sets. ping needs a raw socket, which needs ' +
        'CAP_NET_RAW; mount needs CAP_SYS_ADMIN, the capability that is almost root. Where the runtime leaves lo down ' +
        '(tslab\'s does), ping\'s echo gets "Network is unreachable": its raw socket opened all the same (without ' +
        'CAP_NET_RAW it would say "permission denied").',
      run: [{ sh: 'cat "$SCRATCH/c.output"; echo "decoded (capsh is not in busybox): CapEff bits of the process:"; ' +
        'awk \'/^CapEff/ {print $2}\' /proc/$PID_C/status' }],
      checks: [
        {
          title: 'ping could open its raw socket (CAP_NET_RAW)',
          from: 'inside',
          hint: (seen) => (/permission denied|not permitted/i.test(seen)
            ? 'ping was refused a raw socket: the container lacks CAP_NET_RAW (runc\'s 3-capability default?).'
            : 'ping failed before it could try its socket: read what it said.'),
          verify: (lab) => {
            // with the socket, ping either gets its echo reply, or (lo down: a runtime that does not bring
            // up the new namespace's loopback) fails later, at sendto
            const said = line(lab.container('c').output(), /^ping said:/);
            return lab.expect.that(/bytes from 127\.0\.0\.1|sendto: Network is unreachable/.test(said) && !/permission denied/i.test(said),
              'an echo reply (or sendto failing on a down lo): the raw socket was granted', said);
          },
        },
        {
          title: 'mount(2) failed: no CAP_SYS_ADMIN',
          from: 'inside',
          hint: 'The mount worked: the container holds CAP_SYS_ADMIN (a --privileged container, or --cap-add SYS_ADMIN).',
          verify: (lab) => lab.expect.matches(line(lab.container('c').output(), /^mount exit/), /^mount exit [1-9]/),
        },
        {
          title: 'the effective set has exactly 14 capabilities, CAP_NET_RAW in, CAP_SYS_ADMIN out',
          from: 'outside',
          hint: (seen) => `${seen}: the runtime did not give process.capabilities as config.json lists them.`,
          verify: (lab) => {
            const eff = capMask(lab.readFile(`/proc/${lab.container('c').pid}/status`), 'CapEff');
            return lab.expect.that(bits(eff) === 14 && has(eff, CAP_NET_RAW) && !has(eff, CAP_SYS_ADMIN),
              '14 bits, bit 13 set, bit 21 clear', `CapEff 0x${eff.toString(16)}: ${bits(eff)} bits, NET_RAW ${has(eff, CAP_NET_RAW) ? 'in' : 'out'}, SYS_ADMIN ${has(eff, CAP_SYS_ADMIN) ? 'in' : 'out'}`);
          },
        },
        {
          title: 'the bounding set is the same 14: nothing more can be gained by exec',
          from: 'outside',
          hint: 'The bounding set is wider than the effective set: a file-capability binary could raise more.',
          verify: (lab) => {
            const status = lab.readFile(`/proc/${lab.container('c').pid}/status`);
            const bnd = capMask(status, 'CapBnd');
            return lab.expect.that(bnd === capMask(status, 'CapEff') && bits(bnd) === 14, 'CapBnd = CapEff, 14 bits', `CapBnd 0x${bnd.toString(16)}`);
          },
        },
      ],
    },
  ],
  controls: [
    { wrapper: 'add-caps', mustFail: ['mount(2) failed: no CAP_SYS_ADMIN', 'the effective set has exactly 14 capabilities, CAP_NET_RAW in, CAP_SYS_ADMIN out', 'the bounding set is the same 14: nothing more can be gained by exec'] },
    { wrapper: 'runc-caps', mustFail: ['ping could open its raw socket (CAP_NET_RAW)', 'the effective set has exactly 14 capabilities, CAP_NET_RAW in, CAP_SYS_ADMIN out'] },
  ],
} satisfies LabDefinition;
