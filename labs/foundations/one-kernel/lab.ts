import type { LabDefinition } from '../../../src/labs/format.js';

const nspid = (status: string): string[] => /^NSpid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];

export default {
  title: 'One kernel: a container is a process of the host, not a machine',
  summary: 'A virtual machine boots a kernel of its own; a container does not. Inside and outside read the same ' +
    'kernel release and the same boot id, and the host\'s process list has the container\'s program in it: ' +
    'namespaces only change what that process sees.',
  containers: { c: { image: 'busybox', hostname: 'lab-box' } },
  steps: [
    {
      title: 'Ask the kernel who it is, from both sides',
      say: 'uname -r prints the release of the running kernel; /proc/sys/kernel/random/boot_id is a random id the ' +
        'kernel picks at boot. A VM would show its own kernel and its own boot id. The container shows the host\'s: ' +
        'there is only one kernel, and the container\'s hostname is the only thing that differs (its UTS namespace).',
      run: [
        { in: 'c', sh: 'echo "inside:  $(uname -r) boot $(cat /proc/sys/kernel/random/boot_id) host $(hostname)"' },
        { sh: 'echo "outside: $(uname -r) boot $(cat /proc/sys/kernel/random/boot_id) host $(hostname)"' },
      ],
      checks: [
        {
          title: 'inside, the kernel release is the host\'s',
          from: 'inside',
          hint: 'Another release inside means another kernel: a VM-based runtime (kata, gVisor\'s own kernel) is in use.',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'uname -r')).out, (await lab.outside('uname -r')).out),
        },
        {
          title: 'inside, the boot id is the host\'s: the same booted kernel',
          from: 'inside',
          hint: 'The boot id differs: the container runs on a kernel that booted separately (a VM).',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'cat /proc/sys/kernel/random/boot_id')).out,
            lab.readFile('/proc/sys/kernel/random/boot_id').trim()),
        },
        {
          title: 'the hostname differs: only the UTS namespace is the container\'s own',
          from: 'inside',
          hint: 'Inside shows the host\'s name: the container has no UTS namespace (is "uts" in linux.namespaces?).',
          verify: async (lab) => lab.expect.equal((await lab.inside('c', 'hostname')).out, 'lab-box'),
        },
      ],
    },
    {
      title: 'Find the container in the host\'s process list',
      say: 'The program the container runs (sleep) is an ordinary host process: the host\'s ps lists it with its ' +
        'host pid, its parent and its command line. NSpid in its status shows the pid in each PID namespace: the ' +
        'host\'s pid first, then 1 (the container\'s view).',
      run: [{ sh: 'ps -o pid,ppid,user,comm,args -p "$PID_C"; grep -E "^(NSpid|PPid)" /proc/$PID_C/status' }],
      checks: [
        {
          title: 'the host\'s ps lists the container\'s sleep under its host pid',
          from: 'outside',
          hint: 'The host\'s ps does not show the container\'s program: is its pid the one the runtime reported?',
          verify: async (lab) => lab.expect.equal((await lab.outside('ps -o comm= -p "$PID_C"')).out, 'sleep'),
        },
        {
          title: 'the same process is PID 1 inside its own PID namespace',
          from: 'outside',
          hint: (seen) => `NSpid is "${seen}": one pid means the process lives in the host's PID namespace only (no "pid" namespace).`,
          verify: (lab) => {
            const c = lab.container('c');
            return lab.expect.equal(nspid(lab.readFile(`/proc/${c.pid}/status`)).join(' '), `${c.pid} 1`);
          },
        },
      ],
    },
  ],
  controls: [
    { wrapper: 'no-pid-ns', mustFail: ['the same process is PID 1 inside its own PID namespace'] },
    { wrapper: 'no-uts-ns', mustFail: ['the hostname differs: only the UTS namespace is the container\'s own'] },
  ],
} satisfies LabDefinition;
