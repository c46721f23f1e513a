// Resolving a container path inside the rootfs without ever leaving it: symlinks are followed as if
// the rootfs were /, so a malicious image cannot make a mount land on the host.
import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';

export function secureJoin(root: string, unsafe: string): string {
  const parts = unsafe.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = posix.join(root, ...resolved, part);
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch {
      // does not exist yet: keep the name
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > 255) throw new Error(`too many symlinks resolving ${unsafe} in the rootfs`);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    parts.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return posix.join(root, ...resolved);
}
