// Root filesystems for lab containers. Until the image store (src/image) offers ensureImage(), a lab's
// `busybox` image is built here from the host's busybox-static: one binary plus a link per applet.
// Built once per busybox version into a cache folder; a build goes to a temp folder and is renamed
// into place, so concurrent runs never see half a rootfs.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

export class MissingImageError extends Error {
  constructor(readonly image: string, reason: string) {
    super(`image "${image}" is not available: ${reason}`);
    this.name = 'MissingImageError';
  }
}

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

function cacheRoot(): string {
  return process.env.TSLAB_LAB_CACHE ?? join(process.env.TSLAB_HOME ?? '/var/lib/tslab', 'lab-rootfs');
}

/** True when a 64-bit little-endian ELF asks for a dynamic loader (a PT_INTERP program header). */
function hasInterpreter(elf: Buffer): boolean {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === 3) return true;
  return false;
}

function findBusybox(): string {
  const found = BUSYBOX_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new MissingImageError('busybox', 'no busybox binary on this host (install busybox-static)');
  if (hasInterpreter(readFileSync(found))) {
    throw new MissingImageError('busybox', `${found} is dynamically linked (install busybox-static)`);
  }
  return found;
}

function buildBusyboxRootfs(binary: string, target: string): void {
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'mnt', 'var', 'home']) {
    mkdirSync(join(tmp, d), { recursive: true });
  }
  chmodSync(join(tmp, 'tmp'), 0o1777);
  copyFileSync(binary, join(tmp, 'bin/busybox'));
  chmodSync(join(tmp, 'bin/busybox'), 0o755);
  const applets = execFileSync(binary, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    const at = join(tmp, applet);
    if (applet === 'bin/busybox' || existsSync(at)) continue;
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync('/bin/busybox', at);
  }
  writeFileSync(join(tmp, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  writeFileSync(join(tmp, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(tmp, 'etc/os-release'), 'NAME="tslab busybox"\nID=busybox\n');
  writeFileSync(join(tmp, 'etc/motd'), 'Welcome to a tslab lab container.\n');
  mkdirSync(dirname(target), { recursive: true });
  renameSync(tmp, target);
}

/**
 * The root filesystem folder of an image, read-only by convention (labs that write use an overlay).
 * Only `busybox` exists until the image store lands.
 */
export function imageRootfs(image: string): string {
  if (image !== 'busybox') {
    throw new MissingImageError(image, 'labs can use "busybox" (built from busybox-static) until the image store lands');
  }
  const binary = findBusybox();
  const version = createHash('sha256').update(readFileSync(binary)).digest('hex').slice(0, 16);
  const target = join(cacheRoot(), `busybox-${version}`);
  if (!existsSync(join(target, 'bin/busybox'))) {
    try {
      buildBusyboxRootfs(binary, target);
    } catch (err) {
      // another run renamed its build into place first: use that one
      if (!existsSync(join(target, 'bin/busybox'))) throw err;
    }
  }
  return target;
}
