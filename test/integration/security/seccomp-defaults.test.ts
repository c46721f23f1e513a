// `tslab container run` gives docker's default seccomp profile: from inside a default container,
// the probe's `unshare -U -r -m` + `mount -t tmpfs` is refused (as docker refuses it), while
// --security-opt seccomp=unconfined and --privileged lift the filter and a FILE replaces it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerWorld, type ContainerWorld } from '../../e2e/container-helpers.js';
import { tslab } from '../image/registry.js';

const isRoot = process.getuid?.() === 0;
const NEST = 'unshare -U -r -m sh -c "mount -t tmpfs none /tmp && echo mounted"';

describe.skipIf(!isRoot)('the default seccomp profile of tslab container run (needs root)', { timeout: 120_000 }, () => {
  let world: ContainerWorld;
  let dir: string;
  beforeAll(() => {
    world = containerWorld();
    dir = mkdtempSync(join(tmpdir(), 'tslabt-sec-seccomp-'));
  });
  afterAll(async () => {
    await world.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (args: string[], command: string): ReturnType<typeof tslab> =>
    tslab(['container', 'run', '--rm', '--network', 'none', ...args, 'busybox', 'sh', '-c', command], world.env);

  it('filters by default: Seccomp 2, and a user namespace with a tmpfs mount is refused', async () => {
    const r = await run([], `grep -E "^Seccomp:" /proc/self/status; ${NEST} || echo refused`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(r.stdout).toContain('refused');
    expect(r.stdout).not.toContain('mounted');
  });

  it('--security-opt seccomp=unconfined loads none: the same commands work', async () => {
    const r = await run(['--security-opt', 'seccomp=unconfined'], `grep -E "^Seccomp:" /proc/self/status; ${NEST} || echo refused`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Seccomp:\s+0$/m);
    expect(r.stdout).toContain('mounted');
  });

  it('--privileged: every capability and no filter', async () => {
    const r = await run(['--privileged'], 'grep -E "^(Seccomp|CapEff):" /proc/self/status');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Seccomp:\s+0$/m);
    // every capability we hold ourselves
    const ours = /^CapBnd:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    expect(r.stdout).toMatch(new RegExp(`^CapEff:\\s+${ours}$`, 'm'));
  });

  it('--security-opt seccomp=FILE replaces the default (here: mkdir fails with EPERM, unshare works)', async () => {
    const file = join(dir, 'profile.json');
    writeFileSync(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
    const r = await run(['--security-opt', `seccomp=${file}`], `mkdir /tmp/x 2>&1 || true; ${NEST} || echo refused`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Operation not permitted/);
    expect(r.stdout).toContain('mounted');
  });

  it.each([
    ['seccomp=/nonexistent/profile.json', /cannot read it/],
    ['apparmor=unconfined', /seccomp=unconfined and seccomp=FILE/],
  ])('refuses --security-opt %s in one line', async (opt, message) => {
    const r = await run(['--security-opt', opt], 'true');
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
