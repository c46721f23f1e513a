// The one mountinfo parser, the one pid-alive check and the /proc/<pid>/cgroup reader, on text the
// kernel writes (escapes, optional fields, hybrid cgroup lines) and on this process itself.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mountOf, mountPointsBelow, parseMountinfo, readMountinfo } from '../../../src/runtime/mountinfo.js';
import { processAlive, processStartTime } from '../../../src/runtime/proc.js';
import { parseProcCgroup } from '../../../src/runtime/cgroups/process.js';

const SAMPLE = [
  '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro',
  '30 22 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct',
  '31 22 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate',
  '40 22 0:50 / /tmp/a\\040dir/rootfs rw,relatime - overlay overlay rw,lowerdir=/l1:/l2,upperdir=/u,workdir=/w',
  '41 40 0:51 / /tmp/a\\040dir/rootfs/proc rw,nosuid - proc proc rw',
].join('\n');

describe('parseMountinfo', () => {
  const mounts = parseMountinfo(SAMPLE);

  it('reads the fields on both sides of the optional fields, and unescapes \\040', () => {
    expect(mounts).toHaveLength(5);
    expect(mounts[1]).toMatchObject({ id: 30, parent: 22, mountPoint: '/sys/fs/cgroup/cpu,cpuacct', fstype: 'cgroup', superOptions: ['rw', 'cpu', 'cpuacct'] });
    expect(mounts[1]!.options).toContain('noexec');
    expect(mounts[3]!.mountPoint).toBe('/tmp/a dir/rootfs');
    expect(mounts[3]!.superOptions).toContain('lowerdir=/l1:/l2');
  });

  it('finds the mount a path lives on, and the mounts below a folder deepest first', () => {
    expect(mountOf('/sys/fs/cgroup/cpu,cpuacct/tslab', mounts)?.id).toBe(30);
    expect(mountOf('/etc/passwd', mounts)?.id).toBe(22);
    expect(mountPointsBelow('/tmp/a dir', mounts)).toEqual(['/tmp/a dir/rootfs/proc', '/tmp/a dir/rootfs']);
  });

  it('reads this process\'s own mounts: / is among them', () => {
    expect(readMountinfo().some((m) => m.mountPoint === '/')).toBe(true);
  });
});

describe('processAlive', () => {
  it('is true for this process, false for a pid that ended, and false for another start time', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(process.pid, processStartTime(process.pid))).toBe(true);
    expect(processAlive(process.pid, '1')).toBe(false);
    const ended = spawnSync('/bin/sh', ['-c', 'echo $$'], { encoding: 'utf8' });
    expect(processAlive(Number(ended.stdout.trim()))).toBe(false);
    expect(processAlive(0)).toBe(false);
    expect(processAlive(undefined)).toBe(false);
  });
});

describe('parseProcCgroup', () => {
  it('splits hybrid lines into controllers and paths; the v2 line has no controllers', () => {
    expect(parseProcCgroup('12:cpu,cpuacct:/tslab/x\n1:name=systemd:/user.slice\n0::/tslab/x\n')).toEqual([
      { controllers: ['cpu', 'cpuacct'], path: '/tslab/x' },
      { controllers: ['name=systemd'], path: '/user.slice' },
      { controllers: [], path: '/tslab/x' },
    ]);
  });
});
