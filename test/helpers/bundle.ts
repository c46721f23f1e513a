// Test bundles: a busybox root filesystem made from the host's busybox-static and a config.json
// from our default spec, in a fresh tslabt-* directory.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSpec, type Spec } from '../../src/oci/spec.js';
import { TEST_PREFIX } from './leftovers.js';

export const BUSYBOX = '/bin/busybox';

let counter = 0;
export function uniqueId(label: string): string {
  return `${TEST_PREFIX}-${label}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

export function makeBusyboxRootfs(dir: string): void {
  if (!existsSync(BUSYBOX)) throw new Error('busybox-static is not installed: apt-get install busybox-static');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc', 'tmp', 'root']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  execFileSync('chmod', ['0755', join(dir, 'bin/busybox')]);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}

export interface TestBundle {
  dir: string;
  spec: Spec;
  write(): void;
  cleanup(): void;
}

export function makeBundle(args: string[], edit?: (spec: Spec, id: string) => void, id = uniqueId('b')): TestBundle {
  const dir = mkdtempSync(join(tmpdir(), `${TEST_PREFIX}-bundle-`));
  // mkdtemp makes it 0700: a user-namespaced root (an unprivileged id on the host) must traverse it.
  chmodSync(dir, 0o755);
  makeBusyboxRootfs(join(dir, 'rootfs'));
  const spec = defaultSpec({ args, terminal: false });
  spec.linux!.cgroupsPath = `/${id}`;
  edit?.(spec, id);
  const bundle: TestBundle = {
    dir,
    spec,
    write: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  bundle.write();
  return bundle;
}
