// A bundle for the benchmarks: the host's static busybox, the given program, our default spec.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSpec } from '../src/oci/spec.js';

export function benchBundle(args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tslab-bench-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'rootfs/bin'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev']) mkdirSync(join(dir, 'rootfs', d));
  copyFileSync('/bin/busybox', join(dir, 'rootfs/bin/busybox'));
  for (const applet of new Set(['true', 'sh', 'sleep', ...args.filter((a) => !a.includes('/') && /^[a-z]+$/.test(a)).slice(0, 1)])) {
    symlinkSync('busybox', join(dir, 'rootfs/bin', applet));
  }
  const spec = defaultSpec({ args, terminal: false });
  spec.linux!.cgroupsPath = `/tslab-bench-${process.pid}`;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}
