// One walk for every search of a directory tree by name: orphaned cgroups in each hierarchy (lab gc),
// a runtime's or an engine's state folders (the engine tests' leftover checks).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The directories below roots whose name `matches`, up to `levels` levels down (1: the roots'
 * own entries). A match is not searched further; unreadable directories are passed over.
 */
export function findDirs(roots: string[], matches: (name: string) => boolean, levels: number): string[] {
  const found: string[] = [];
  const walk = (dir: string, level: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = join(dir, e.name);
      if (matches(e.name)) found.push(path);
      else if (level < levels) walk(path, level + 1);
    }
  };
  for (const root of roots) walk(root, 1);
  return found;
}
