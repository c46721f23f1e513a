import type { LabDefinition } from '../../../src/labs/format.js';

// /proc/sysvipc/shm lists the System V shared memory segments of the reader's IPC namespace:
// one line per segment, columns key, shmid, perms, size, …
const keys = (table: string): string[] => table.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean);

export default {
  title: 'IPC namespace: System V shared memory the host cannot see',
  summary: 'System V IPC objects (shared memory, semaphores, message queues) and POSIX message queues ' +
    'belong to an IPC namespace. A segment made on the host is invisible in the container, and the other way round.',
  containers: { c: { image: 'busybox' } },
  steps: [
    {
      title: 'Make a segment on the host',
      say: 'ipcmk -M creates a System V shared memory segment with a random key in the host\'s IPC namespace.',
      run: [
        { sh: 'ipcmk -M 4096 | sed -n "s/.*id: *//p"', saveAs: 'hostShmid' },
        { sh: (lab) => `awk '$2 == ${lab.memo.hostShmid} {print $1}' /proc/sysvipc/shm`, saveAs: 'hostKey' },
      ],
      checks: [
        {
          title: 'the host lists its new segment',
          from: 'outside',
          hint: 'ipcmk failed on the host: is util-linux installed?',
          verify: (lab) => lab.expect.matches(lab.memo.hostKey ?? '', /^-?\d+$/),
        },
        {
          title: 'the container does not see the host\'s segment',
          from: 'inside',
          hint: 'The host\'s key is listed inside: the container shares the host\'s IPC namespace ("ipc" in linux.namespaces?).',
          verify: async (lab) => {
            const inside = keys((await lab.inside('c', 'cat /proc/sysvipc/shm')).stdout);
            return lab.expect.that(!inside.includes(lab.memo.hostKey!), `no segment with key ${lab.memo.hostKey}`,
              inside.length ? `keys ${inside.join(', ')}` : 'no segments');
          },
        },
      ],
    },
    {
      title: 'Make a segment in the container',
      say: 'nsenter --ipc joins only the container\'s IPC namespace, so the host\'s ipcmk creates a segment there. ' +
        'The container lists it; the host does not.',
      run: [
        { sh: 'nsenter -t $PID_C --ipc ipcmk -M 8192 | sed -n "s/.*id: *//p"', saveAs: 'containerShmid' },
        { sh: (lab) => `nsenter -t $PID_C --ipc awk '$2 == ${lab.memo.containerShmid} {print $1}' /proc/sysvipc/shm`, saveAs: 'containerKey' },
        { sh: 'nsenter -t $PID_C --ipc cat /proc/sysvipc/shm' },
        { in: 'c', sh: 'cat /proc/sysvipc/shm', saveAs: 'insideTable' },
      ],
      checks: [
        {
          title: 'the container lists its own segment',
          from: 'inside',
          hint: 'No 8192-byte segment inside: the segment went to another namespace.',
          verify: (lab) => {
            const sizes = (lab.memo.insideTable ?? '').split('\n').slice(1).map((l) => l.trim().split(/\s+/)[3]);
            return lab.expect.that(sizes.includes('8192'), 'a segment of 8192 bytes', sizes.length ? `sizes ${sizes.join(', ')}` : 'no segments');
          },
        },
        {
          title: 'the host does not see the container\'s segment',
          from: 'outside',
          hint: 'The container\'s key is listed on the host: both use the same IPC namespace.',
          verify: async (lab) => {
            const insideKeys = keys(lab.memo.insideTable ?? '').filter((k) => k !== lab.memo.hostKey);
            const hostKeys = keys(lab.readFile('/proc/sysvipc/shm'));
            const shared = insideKeys.filter((k) => hostKeys.includes(k));
            return lab.expect.that(insideKeys.length > 0 && shared.length === 0, 'none of the container\'s keys on the host',
              `container keys ${insideKeys.join(', ') || 'none'}; shared with host: ${shared.join(', ') || 'none'}`);
          },
        },
      ],
    },
  ],
  cleanup: [
    { sh: (lab) => (lab.memo.hostShmid ? `ipcrm -m ${lab.memo.hostShmid}` : 'true') },
    // Without an IPC namespace (the negative control) the container's segment is the host's: remove
    // it when the host lists that very key and id (in the lab proper it died with the namespace).
    { sh: (lab) => (lab.memo.containerShmid && lab.memo.containerKey
      ? `awk '$1 == ${lab.memo.containerKey} && $2 == ${lab.memo.containerShmid} {f = 1} END {exit !f}' /proc/sysvipc/shm && ipcrm -m ${lab.memo.containerShmid} || true`
      : 'true') },
  ],
  // negative control: the lab must fail when this isolation is removed
  controls: [{
    wrapper: 'no-ipc-ns',
    mustFail: ['the container does not see the host\'s segment', 'the host does not see the container\'s segment']
  }],
} satisfies LabDefinition;
