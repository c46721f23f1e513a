// Finding labs: a lab is a folder with a lab.ts (or lab.js). Users name one by path or by a name
// that is unique under labs/ (`pid-namespace`, `labs/pid-namespace`, `namespaces/pid-namespace`).
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { packageRoot } from '../oci/runtime-cli.js';

export const DEFINITION_FILES = ['lab.ts', 'lab.mts', 'lab.js', 'lab.mjs'];

export interface LabRef {
  /** the folder's name: pid-namespace */
  name: string;
  /** path below the labs root, or the folder as given: namespaces/pid-namespace */
  id: string;
  dir: string;
  /** the definition file */
  file: string;
}

export function definitionFile(dir: string): string | undefined {
  for (const f of DEFINITION_FILES) if (existsSync(join(dir, f))) return join(dir, f);
  return undefined;
}

/** labs/ of the current folder when it has one, else the one shipped with tslab. */
export function labsRoot(): string {
  const here = resolve('labs');
  return existsSync(here) ? here : join(packageRoot(), 'labs');
}

function refFor(dir: string, root: string, file = definitionFile(dir)!): LabRef {
  // a folder the walk found below the root: its path past the root (path.relative resolves both
  // against the cwd, for every lab `lab list` shows)
  const rel = dir.startsWith(`${root}${sep}`) && isAbsolute(root) ? dir.slice(root.length + 1) : relative(root, dir);
  const id = rel && !rel.startsWith('..') ? rel.split(sep).join('/') : relative(process.cwd(), dir) || basename(dir);
  return { name: basename(dir), id, dir, file };
}

function isDirectory(entry: Dirent, path: string): boolean {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // dangling or unreadable: not a lab
  }
}

/**
 * What a walk read, for a cache of its result (src/labs/title-index.ts): the result holds while
 * none of these folders changes (an entry added, removed or renamed changes a folder's mtime) —
 * unless the walk was `unsure`: it met a symbolic link (its target can change while its folder
 * does not) or a folder it could not read.
 */
export interface LabWalk {
  /** when the walk began (Date.now()), for a cache to tell a folder changed too close to it */
  startedAt: number;
  /** each folder read, with its mtime taken before reading it */
  folders: Array<{ dir: string; mtimeMs: number }>;
  unsure: boolean;
}

/** A LabWalk for findLabs to fill. */
export function labWalk(): LabWalk {
  return { startedAt: Date.now(), folders: [], unsure: false };
}

/**
 * Every lab at or below `dir`, sorted by path. One readdir per folder (`tslab lab list` walks them
 * all); `walked`, when given, gets the folders read.
 */
export function findLabs(dir: string, root = labsRoot(), walked?: LabWalk): LabRef[] {
  const found: LabRef[] = [];
  const base = resolve(root);
  const walk = (d: string): void => {
    let entries: Dirent[];
    try {
      if (walked) walked.folders.push({ dir: d, mtimeMs: statSync(d).mtimeMs });
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      if (walked) walked.unsure = true;
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    const definition = DEFINITION_FILES.find((f) => names.has(f));
    if (definition) {
      found.push(refFor(d, base, join(d, definition)));
      return;
    }
    if (walked && entries.some((e) => e.isSymbolicLink())) walked.unsure = true;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (isDirectory(e, p)) walk(p);
    }
  };
  walk(resolve(dir));
  return found;
}

/** One lab, from a path or a unique name. */
export function resolveLab(arg: string, root = labsRoot()): LabRef {
  const asPath = resolve(arg);
  if (existsSync(asPath) && statSync(asPath).isDirectory()) {
    if (definitionFile(asPath)) return refFor(asPath, root);
    const inside = findLabs(asPath, root);
    if (inside.length === 1) return inside[0]!;
    throw new UsageError(inside.length === 0
      ? `${arg} holds no lab (a lab is a folder with lab.ts)`
      : `${arg} holds ${inside.length} labs; name one: ${inside.map((l) => l.id).join(', ')}`);
  }
  const wanted = arg.replace(/^\.?\/?labs\//, '').replace(/\/+$/, '');
  const all = findLabs(root, root);
  const matches = all.filter((l) => l.id === wanted || l.id.endsWith(`/${wanted}`) || l.name === wanted);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new UsageError(`"${arg}" names ${matches.length} labs: ${matches.map((l) => l.id).join(', ')}; give the path`);
  }
  throw new UsageError(`no lab "${arg}" under ${root} (tslab lab list shows them all)`);
}

/** Labs for `tslab test`: each argument a folder (every lab below it) or a lab; default all. */
export function selectLabs(args: string[], root = labsRoot()): LabRef[] {
  if (args.length === 0) return findLabs(root, root);
  const seen = new Set<string>();
  const refs: LabRef[] = [];
  for (const arg of args) {
    const asPath = resolve(arg);
    const list = existsSync(asPath) && statSync(asPath).isDirectory() && !definitionFile(asPath)
      ? findLabs(asPath, root)
      : [resolveLab(arg, root)];
    if (list.length === 0) throw new UsageError(`${arg} holds no lab (a lab is a folder with lab.ts)`);
    for (const ref of list) {
      if (!seen.has(ref.dir)) {
        seen.add(ref.dir);
        refs.push(ref);
      }
    }
  }
  return refs;
}
