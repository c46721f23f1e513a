import type { LabDefinition } from '../../../src/labs/format.js';

const CAP_SYS_MODULE = 16;
const CAP_SYS_ADMIN = 21;

// The container's own process tries the privileged operations before it settles down to sleep, so
// what it reports is what its own capabilities allowed (a command entered later with nsenter would
// carry the lab runner's capabilities instead).
const PROBE = [
  'mount -t tmpfs probe /tmp 2>&1; echo "mount exit $?"',
  'echo junk > /dev/shm/probe.ko; insmod /dev/shm/probe.ko 2>&1; echo "insmod exit $?"',
  'grep -E "^Cap(Eff|Bnd)" /proc/self/status',
  'echo probe-done',
  'exec sleep 1000000',
].join('; ');

const capMask = (status: string, set: 'CapEff' | 'CapBnd'): bigint =>
  BigInt(`0x${new RegExp(`^${set}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`);
const has = (mask: bigint, cap: number): boolean => ((mask >> BigInt(cap)) & 1n) === 1n;

export default {
  title: 'Capabilities: root in a container cannot mount or load a module',
  summary: 'This lab\'s container runs as uid 0 with runc\'s bare spec default of 3 capabilities (CAP_AUDIT_WRITE, ' +
    'CAP_KILL, CAP_NET_BIND_SERVICE); `tslab container run` and docker give 14 (security/docker-capabilities). Neither ' +
    'set has CAP_SYS_ADMIN, so mount(2) fails, nor CAP_SYS_MODULE, so init_module(2) fails.',
  containers: { c: { image: 'busybox', args: ['sh', '-c', PROBE], ready: 'probe-done' } },
  steps: [
    {
      title: 'What the container\'s process could do',
      say: 'The container\'s process tried to mount a tmpfs and to load a (junk) kernel module, then printed its ' +
        'effective and bounding capability sets. mount failed with EPERM: the kernel checks the capability ' +
        'before looking at the arguments. insmod failed too: with EPERM, or, on a kernel built without module support, ' +
        'with ENOSYS whatever the caller holds; then the CapEff it printed, without bit 16, is the evidence.',
      run: [{ sh: 'echo "uid: $(awk \'/^Uid/ {print $2}\' /proc/$PID_C/status)"; grep -E "^Cap(Eff|Bnd)" /proc/$PID_C/status' }],
      checks: [
        {
          title: 'mount(2) failed inside the container',
          from: 'inside',
          hint: 'The container could mount: it holds CAP_SYS_ADMIN (a privileged container?).',
          verify: (lab) => lab.expect.matches(lab.container('c').output(), /^mount exit [1-9]/m),
        },
        {
          title: 'loading a module is not allowed to the container\'s process',
          from: 'inside',
          hint: (seen) => (/not permitted/.test(seen) ? 'insmod got past the capability check.'
            : 'The container\'s process holds CAP_SYS_MODULE (bit 16 of the CapEff it printed).'),
          verify: (lab) => {
            const out = lab.container('c').output();
            const insmod = out.split('\n').find((l) => l.startsWith('insmod:')) ?? '';
            // a kernel without module support (no /proc/modules) answers ENOSYS whatever the caller may do:
            // then the process's own CapEff, as it printed it, is the evidence
            if (lab.readFile('/proc/modules') === '' && /not support/.test(insmod)) {
              const eff = capMask(out, 'CapEff');
              return lab.expect.that(!has(eff, CAP_SYS_MODULE), 'CAP_SYS_MODULE (bit 16) clear in the CapEff the process printed',
                `CapEff 0x${eff.toString(16)} (this kernel has no module support: ${insmod})`);
            }
            return lab.expect.includes(insmod, 'not permitted');
          },
        },
        {
          title: 'the host sees no CAP_SYS_ADMIN and no CAP_SYS_MODULE in the effective set',
          from: 'outside',
          hint: 'The runtime gave the container CAP_SYS_ADMIN or CAP_SYS_MODULE (process.capabilities in config.json).',
          verify: (lab) => {
            const eff = capMask(lab.readFile(`/proc/${lab.container('c').pid}/status`), 'CapEff');
            return lab.expect.that(!has(eff, CAP_SYS_ADMIN) && !has(eff, CAP_SYS_MODULE), 'neither bit 21 nor bit 16 set', `CapEff 0x${eff.toString(16)}`);
          },
        },
        {
          title: 'they are not in the bounding set either: no way to regain them',
          from: 'outside',
          hint: 'The bounding set still allows CAP_SYS_ADMIN/CAP_SYS_MODULE: a setuid or file-capability binary could regain them.',
          verify: (lab) => {
            const bnd = capMask(lab.readFile(`/proc/${lab.container('c').pid}/status`), 'CapBnd');
            return lab.expect.that(!has(bnd, CAP_SYS_ADMIN) && !has(bnd, CAP_SYS_MODULE), 'neither bit 21 nor bit 16 set', `CapBnd 0x${bnd.toString(16)}`);
          },
        },
      ],
    },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'add-caps',
    mustFail: ['mount(2) failed inside the container', 'loading a module is not allowed to the container\'s process', 'the host sees no CAP_SYS_ADMIN and no CAP_SYS_MODULE in the effective set']
  }],
} satisfies LabDefinition;
