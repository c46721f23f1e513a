// Static checks of the VM files that `npm test` can afford: every script parses, the Vagrantfile
// validates (Debian's vagrant runs offline; no provider is needed with --ignore-provider), and the
// package lists that provision.sh and the CI VM derive from .ci/run stay readable.
// The VMs themselves boot in `npm run test:vm` (see docs/vm.md).
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const scripts = [
  'vm/provision.sh',
  'vm/ci/build.sh',
  'vm/ci/run.sh',
  'vm/ci/guest/job.sh',
  'vm/ci/guest/tslab-vm-boot',
  'test/vm/cgroup-v2-probe.sh',
];

describe('VM scripts', () => {
  it.each(scripts)('%s parses', (script) => {
    const shell = script.endsWith('tslab-vm-boot') ? 'sh' : 'bash';
    const r = spawnSync(shell, ['-n', script], { cwd: repo, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('reads the package list from .ci/run the way provision.sh and build.sh do', () => {
    const list = execFileSync(
      'bash',
      ['-c', `sed -n '/^packages=(/,/^)/{/^  *[a-z0-9]/p}' .ci/run | tr -d ' '`],
      { cwd: repo, encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    expect(list).toContain('runc');
    expect(list).toContain('busybox-static');
    for (const name of list) expect(name).toMatch(/^[a-z0-9][a-z0-9.+-]*$/);
  });
});

describe('vm/Vagrantfile', () => {
  it('passes `vagrant validate` (apt-get install vagrant; .ci/run installs it)', () => {
    const which = spawnSync('sh', ['-c', 'command -v vagrant'], { encoding: 'utf8' });
    expect(which.status, 'vagrant is not installed: apt-get install vagrant (.ci/run lists it)').toBe(0);
    const r = spawnSync('vagrant', ['validate', '--ignore-provider'], {
      cwd: `${repo}/vm`,
      encoding: 'utf8',
      // Vagrant keeps state in VAGRANT_HOME and vm/.vagrant: point both into .vm-cache/.
      env: {
        ...process.env,
        VAGRANT_HOME: `${repo}/.vm-cache/vagrant-home`,
        VAGRANT_DOTFILE_PATH: `${repo}/.vm-cache/vagrant-dotfile`,
        VAGRANT_CHECKPOINT_DISABLE: '1',
        // vagrant-libvirt 0.11 asks libvirtd whether virtiofs is usable even here, with no machine and
        // no daemon: the core Vagrantfile is checked without plugins (test:vagrant runs the libvirt path)
        VAGRANT_NO_PLUGINS: '1',
      },
      timeout: 120_000,
    });
    expect(r.stdout + r.stderr).toContain('Vagrantfile validated successfully');
    expect(r.status).toBe(0);
  }, 150_000);
});
