import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';

export const VERSION = '0.1.0';

/** The git commit of the checkout tslab runs from, read from .git without running git. */
export function commit(): string {
  try {
    // the checkout's root: dist/src/cli/version.js or the bundle dist/runtime.cjs
    let root = fileURLToPath(new URL('.', import.meta.url));
    while (root !== '/' && !existsSync(`${root}/package.json`)) root = dirname(root);
    const gitDir = `${root}/.git`;
    const head = readFileSync(`${gitDir}/HEAD`, 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    if (existsSync(`${gitDir}/${ref}`)) return readFileSync(`${gitDir}/${ref}`, 'utf8').trim();
    const packed = readFileSync(`${gitDir}/packed-refs`, 'utf8').split('\n').find((l) => l.endsWith(` ${ref}`));
    return packed?.split(' ')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
