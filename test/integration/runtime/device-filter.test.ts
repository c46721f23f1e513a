// The cgroup v2 device filter on the real kernel: a BPF_PROG_TYPE_CGROUP_DEVICE program attached to
// a cgroup on this host's cgroup2 mount decides which device nodes a shell in that cgroup may open.
// On a hybrid host (v1 controllers plus /sys/fs/cgroup/unified) the shell stays in its v1 cgroups
// too; the kernel runs the v2 program and the v1 devices check, both must allow.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { deviceFilterBytecode, ruleFromText, type DeviceRule } from '../../../src/runtime/cgroups/device-filter.js';
import { removeCgroupDir } from '../../../src/runtime/cgroups/files.js';
import { CgroupV2 } from '../../../src/runtime/cgroups/v2.js';
import { bpf, sys } from '../../../src/runtime/sys/index.js';
import { tracer, memorySink } from '../../../src/tracer/tracer.js';

/** Where cgroup2 is mounted: /sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on a hybrid one. */
function cgroup2Root(): string | undefined {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[f.indexOf('-') + 1] === 'cgroup2')
    .map((f) => f[4]!);
  return mounts.find((m) => m === '/sys/fs/cgroup') ?? mounts.find((m) => m === '/sys/fs/cgroup/unified') ?? mounts[0];
}

const root = cgroup2Root();
const skipReason = process.getuid?.() !== 0 ? 'needs root' : !root ? 'no cgroup2 mount on this host' : undefined;

const PROBE = `read go
for dev in /dev/zero /dev/null /dev/kmsg; do
  if (: <"$dev"); then echo "$dev read ok"; else echo "$dev read denied"; fi
  if (: >"$dev"); then echo "$dev write ok"; else echo "$dev write denied"; fi
done`;

/** Spawns sh, puts it into the cgroup while it waits on stdin, lets it try the devices. */
async function probeDevicesIn(enter: (pid: number) => void): Promise<{ stdout: string; stderr: string }> {
  const child = spawn('/bin/sh', ['-c', PROBE], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    enter(child.pid!);
    child.stdin.end('go\n');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`sh did not finish: ${stdout} ${stderr}`)), 20_000)))]);
    clearTimeout(timer);
    return { stdout, stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

const lines = (out: string): string[] => out.trim().split('\n');

describe.skipIf(skipReason !== undefined)(`cgroup v2 device filter on ${root ?? 'cgroup2'} (${skipReason ?? 'needs root'})`, () => {
  /** A fresh cgroup with a program for `rules` attached, the probe run in it, the cgroup removed. */
  async function probeWithRules(rules: DeviceRule[]): Promise<{ stdout: string; stderr: string }> {
    const dir = join(root!, `tslabt-devfilter-${process.pid}-${randomBytes(3).toString('hex')}`);
    mkdirSync(dir);
    try {
      const progFd = bpf.loadCgroupDeviceProgram(deviceFilterBytecode(rules));
      try {
        bpf.attachCgroupDeviceProgram(dir, progFd);
      } finally {
        sys.close(progFd);
      }
      return await probeDevicesIn((pid) => writeFileSync(join(dir, 'cgroup.procs'), String(pid)));
    } finally {
      await removeCgroupDir(dir);
    }
  }

  const ALLOW_ALL: DeviceRule = { allow: true, type: 'a', major: null, minor: null, access: 'rwm' };

  it('a program that denies c 1:3 makes /dev/null fail with EPERM while /dev/zero and /dev/kmsg open', async () => {
    const out = await probeWithRules([ALLOW_ALL, ruleFromText('c 1:3 rwm', false), ruleFromText('c 1:5 rwm')]);
    expect(lines(out.stdout)).toEqual([
      '/dev/zero read ok', '/dev/zero write ok',
      '/dev/null read denied', '/dev/null write denied',
      '/dev/kmsg read ok', '/dev/kmsg write ok',
    ]);
    expect(out.stderr).toMatch(/\/dev\/null: Operation not permitted/);
    expect(out.stderr).not.toMatch(/\/dev\/zero/);
  });

  it('a deny rule for write only: /dev/null still opens for reading, not for writing', async () => {
    const out = await probeWithRules([ALLOW_ALL, ruleFromText('c 1:3 w', false)]);
    expect(lines(out.stdout).slice(0, 4)).toEqual(['/dev/zero read ok', '/dev/zero write ok', '/dev/null read ok', '/dev/null write denied']);
  });

  it('CgroupV2.apply with a deny-all config keeps the default devices and denies /dev/kmsg (the devices-cgroup lab)', async () => {
    const name = `tslabt-devfilter-${process.pid}-${randomBytes(3).toString('hex')}`;
    const cgroup = new CgroupV2(name, root!);
    const mem = memorySink();
    const removeSink = tracer.addSink(mem.sink);
    try {
      cgroup.create();
      cgroup.apply({ devices: [{ allow: false, access: 'rwm' }] });
      const out = await probeDevicesIn((pid) => cgroup.addProcess(pid));
      expect(lines(out.stdout)).toEqual([
        '/dev/zero read ok', '/dev/zero write ok',
        '/dev/null read ok', '/dev/null write ok',
        '/dev/kmsg read denied', '/dev/kmsg write denied',
      ]);
      expect(out.stderr).toMatch(/\/dev\/kmsg: Operation not permitted/);
      const bpfSteps = mem.events.filter((e) => e.phase === 'end' && e.step === 'bpf');
      expect(bpfSteps.map((e) => e.summary)).toEqual([
        expect.stringMatching(/^bpf BPF_PROG_LOAD cgroup_device \d+ insns$/),
        `bpf BPF_PROG_ATTACH ${join(root!, name)} BPF_CGROUP_DEVICE`,
      ]);
      expect(bpfSteps.every((e) => e.errno === undefined)).toBe(true);
    } finally {
      removeSink();
      await cgroup.destroy();
    }
    expect(existsSync(join(root!, name))).toBe(false);
  });
});
