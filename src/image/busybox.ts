// The embedded default image: labs must work on a machine without internet, so when `busybox`
// is neither in the store nor pullable, tslab builds it from the host's static busybox
// (Debian/Ubuntu package busybox-static) into a proper OCI image: one layer, a config, a tag.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { UsageError } from '../errors.js';
import { storeSingleLayerImage, tarEntries, type LayerEntry } from './layer-build.js';
import type { Descriptor } from './media.js';
import type { ImageStore } from './store.js';

export const HOST_BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

/** True when an ELF file asks for a dynamic loader (a PT_INTERP program header): it would not run in the image. */
export function hasInterpreter(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = elf[4] === 2;
  const le = elf[5] === 1;
  const u16 = (at: number): number => (le ? elf.readUInt16LE(at) : elf.readUInt16BE(at));
  const u32 = (at: number): number => (le ? elf.readUInt32LE(at) : elf.readUInt32BE(at));
  const phoff = is64 ? Number(le ? elf.readBigUInt64LE(0x20) : elf.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 <= elf.length && u32(at) === 3) return true;
  }
  return false;
}

export function findHostBusybox(): string {
  for (const path of HOST_BUSYBOX_CANDIDATES) {
    if (!existsSync(path)) continue;
    if (hasInterpreter(readFileSync(path))) continue;
    return path;
  }
  throw new UsageError('cannot build the busybox image: no static busybox on this host; install it with `apt-get install busybox-static`');
}

const DIRS: [string, number][] = [
  ['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['proc', 0o555], ['root', 0o700], ['sys', 0o555],
  ['tmp', 0o1777], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755], ['sbin', 0o755], ['var', 0o755],
  ['var/spool', 0o755], ['var/spool/mail', 0o755], ['var/www', 0o755],
];

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh', 'daemon:x:1:1:daemon:/usr/sbin:/bin/false', 'bin:x:2:2:bin:/bin:/bin/false',
  'sys:x:3:3:sys:/dev:/bin/false', 'sync:x:4:100:sync:/bin:/bin/sync', 'mail:x:8:8:mail:/var/spool/mail:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false', 'operator:x:37:37:Operator:/var:/bin/false',
  'nobody:x:65534:65534:nobody:/home:/bin/false', '',
].join('\n');

const GROUP = [
  'root:x:0:', 'daemon:x:1:', 'bin:x:2:', 'sys:x:3:', 'adm:x:4:', 'tty:x:5:', 'disk:x:6:', 'wheel:x:10:root',
  'mail:x:8:', 'www-data:x:33:', 'operator:x:37:', 'users:x:100:', 'nogroup:x:65534:', '',
].join('\n');

/** Builds the image in the store and tags it `name`; returns the manifest descriptor. */
export async function buildBusyboxImage(store: ImageStore, name: string): Promise<Descriptor> {
  const busybox = findHostBusybox();
  const binary = readFileSync(busybox);
  const mtime = statSync(busybox).mtime;
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' })
    .split('\n').map((l) => l.trim()).filter((l) => l && l !== 'bin/busybox' && /^[a-z0-9/_.[\]-]+$/.test(l));
  const entries: LayerEntry[] = DIRS.map(([n, mode]) => ({ type: 'directory', name: `${n}/`, mode }));
  entries.push({ type: 'file', name: 'bin/busybox', mode: 0o755, content: binary });
  for (const applet of [...new Set(applets)].sort()) entries.push({ type: 'link', name: applet, linkname: 'bin/busybox' });
  entries.push({ type: 'file', name: 'etc/passwd', mode: 0o644, content: Buffer.from(PASSWD) });
  entries.push({ type: 'file', name: 'etc/group', mode: 0o644, content: Buffer.from(GROUP) });
  const tar = await tarEntries(entries, mtime);
  const version = /BusyBox v[^\s]+/.exec(binary.toString('latin1'))?.[0] ?? 'BusyBox';
  const built = storeSingleLayerImage(store, tar, {
    created: mtime.toISOString(),
    cmd: ['sh'],
    history: { created: mtime.toISOString(), created_by: `tslab: ${version} from the host's ${busybox} (busybox-static)`, comment: 'embedded default image' },
  });
  await store.tag(name, built.manifest);
  return built.manifest;
}
