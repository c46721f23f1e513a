import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

export const VERSION = '0.1.0';

/** The git commit of the checkout tslab runs from, read from .git without running git. */
export function commit(): string {
  try {
    // the checkout's root: dist/src/cli/version.js or the bundle dist/runtime.cjs
    let root = fileURLToPath(new URL('.', import.meta.url));
    while (root !== '/' && !existsSync(`${root}/package.json`)) root = dirname(root);
    let gitDir = `${root}/.git`;
    // a worktree's .git is a file naming its folder; branches live in the common one
    if (statSync(gitDir).isFile()) gitDir = resolve(root, readFileSync(gitDir, 'utf8').replace(/^gitdir:\s*/, '').trim());
    const common = existsSync(`${gitDir}/commondir`) ? resolve(gitDir, readFileSync(`${gitDir}/commondir`, 'utf8').trim()) : gitDir;
    const head = readFileSync(`${gitDir}/HEAD`, 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    for (const dir of [gitDir, common]) if (existsSync(`${dir}/${ref}`)) return readFileSync(`${dir}/${ref}`, 'utf8').trim();
    const packed = readFileSync(`${common}/packed-refs`, 'utf8').split('\n').find((l) => l.endsWith(` ${ref}`));
    return packed?.split(' ')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
