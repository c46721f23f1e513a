// Root filesystems for lab containers: the image's layers from the image store (src/image's
// ensureImage, which builds busybox from the host's busybox-static when it cannot pull). Labs do not
// pull: an image other than busybox must be in the store (`tslab image pull`). Should the store fail
// for busybox, a plain busybox folder is built here instead (one binary plus a link per applet),
// once per busybox version, in a temp folder renamed into place so concurrent runs never see half of it.
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

/** The host-built busybox folder (the fallback when the image store cannot give busybox). */
export function hostBusyboxRootfs(): string {
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

/**
 * The layers of an image as overlay lowerdirs, top layer first. The lab mounts them under a
 * per-container upper layer, so nothing a container (or a broken runtime) does reaches the store.
 */
export async function imageLayers(image: string, say: (line: string) => void): Promise<string[]> {
  let store: typeof import('../image/index.js');
  try {
    store = await import('../image/index.js');
  } catch (err) {
    if (image !== 'busybox') throw new MissingImageError(image, `the image store cannot load: ${(err as Error).message}`);
    say(`tslab: the image store cannot load (${(err as Error).message}); using a busybox folder built from the host`);
    return [hostBusyboxRootfs()];
  }
  try {
    return (await store.ensureImage(image, { pull: false, say })).lowerDirs;
  } catch (err) {
    if (image !== 'busybox') throw new MissingImageError(image, (err as Error).message);
    say(`tslab: the image store could not give busybox (${(err as Error).message}); using a busybox folder built from the host`);
    return [hostBusyboxRootfs()];
  }
}
