// The labs and their titles without walking the labs folder or loading the labs: the build writes
// dist/labs/index.json with
// - the walk of the shipped labs folder (src/labs/catalog.ts, findLabs): the labs it found and the
//   mtime of the folders it read. While none of those changed (a lab added, removed or renamed
//   changes its parent's mtime) the walk would find the same labs, and `tslab lab list` takes them
//   from here. A lab folder defined by lab.ts needs no mtime of its own: while its lab.ts is there,
//   the walk stops at it (the lab.ts is stat'ed for its title anyway);
// - each shipped lab's title with the size, mtime and SHA-256 of the lab.ts it came from. A title is
//   taken when its lab.ts has that size and mtime, or that size and content (an npm install gives
//   every file a new mtime), and the lab is loaded (loadLab, the one loader) otherwise: a lab edited
//   or added since the build, or one outside the package.
// Walking the labs costs ~3 ms and loading the 53 shipped labs for their titles seconds; this costs
// one read and about one stat per lab. The order and areas are the course's (labs/course.json),
// read each time, so they are not in the index.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DEFINITION_FILES, type LabRef, type LabWalk } from './catalog.js';
import { loadLab } from './load.js';
import { packageRoot } from '../oci/runtime-cli.js';
import { writeFileAtomic } from '../write-atomic.js';

const FORMAT = 2;
/** A folder changed this close to its walk may change again within its mtime's granularity unseen. */
const RACY_MS = 2000;

export interface LabIndexEntry {
  id: string;
  title: string;
  /** the definition file, relative to the index's folder */
  file: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** A lab the walk found: its folder below the walk's root, and its definition file's name. */
interface FoundLab {
  id: string;
  name: string;
  dir: string;
  definition: string;
}

interface LabIndexFile {
  format: number;
  labs: LabIndexEntry[];
  /**
   * root relative to the index's folder, the other paths relative to root ('' is root itself);
   * absent when the walk cannot be trusted to stay valid (LabWalk.unsure, or a racy mtime)
   */
  walk?: { root: string; folders: Array<{ dir: string; mtimeMs: number }>; found: FoundLab[] };
}

/**
 * `rel`, a path as path.relative wrote it (normalized, '/'-separated: tslab runs on Linux), taken
 * from the absolute folder `from`. Not path.resolve: resolving every path of the index made its
 * normalizer hot enough for V8 to optimize it, a compile that cost `lab list` more than the rest.
 */
function under(from: string, rel: string): string {
  let base = from;
  let rest = rel;
  while (rest === '..' || rest.startsWith('../')) {
    base = dirname(base);
    rest = rest.slice(3);
  }
  return rest ? `${base === '/' ? '' : base}/${rest}` : base;
}

/** The walk's lab folders whose definition is the first of DEFINITION_FILES: their lab.ts vouches for them. */
const vouchedBy = (ref: LabRef): boolean => basename(ref.file) === DEFINITION_FILES[0];

/** Where the build writes the index of the shipped labs. */
export function labIndexFile(): string {
  return join(packageRoot(), 'dist', 'labs', 'index.json');
}

/** The file's size and mtime: what an entry must match to be used without reading the file. */
function stamp(file: string): { size: number; mtimeMs: number } | undefined {
  const s = statSync(file, { throwIfNoEntry: false });
  return s && { size: s.size, mtimeMs: s.mtimeMs };
}

function sha256(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * Loads every lab of `refs` and writes their titles to `file`, and with `walk` (the walk of `root`
 * that found `refs`) the walk too. A lab that does not load has no title here: `lab list` then
 * loads it itself and says why it cannot.
 */
export async function writeLabIndex(refs: LabRef[], file = labIndexFile(), walk?: { root: string; walked: LabWalk }): Promise<LabIndexEntry[]> {
  const here = dirname(file);
  const labs: LabIndexEntry[] = [];
  for (const ref of refs) {
    // stamped and hashed before the load: an edit made while loading leaves the entry stale, not wrong
    const before = stamp(ref.file);
    const hash = sha256(ref.file);
    if (!before || !hash) continue;
    try {
      const { title } = await loadLab(ref);
      labs.push({ id: ref.id, title, file: relative(here, ref.file), ...before, sha256: hash });
    } catch {
      // not indexed
    }
  }
  const index: LabIndexFile = { format: FORMAT, labs };
  const { walked } = walk ?? {};
  const vouched = new Set(refs.filter(vouchedBy).map((r) => r.dir));
  const folders = walked?.folders.filter((f) => !vouched.has(f.dir)) ?? [];
  if (walk && walked && !walked.unsure && folders.every((f) => f.mtimeMs < walked.startedAt - RACY_MS)) {
    const root = resolve(walk.root);
    const below = (path: string): string => relative(root, path).split(sep).join('/');
    index.walk = {
      root: relative(here, root),
      folders: folders.map((f) => ({ dir: below(f.dir), mtimeMs: f.mtimeMs })),
      found: refs.map((r) => ({ id: r.id, name: r.name, dir: below(r.dir), definition: basename(r.file) })),
    };
  }
  writeFileAtomic(file, `${JSON.stringify(index)}\n`);
  return labs;
}

/** The labs and titles as of the last build: empty without an index (or an unreadable one). */
export class LabTitles {
  private readonly byFile = new Map<string, LabIndexEntry>();
  private readonly here: string;
  private readonly walk: LabIndexFile['walk'];
  /** stat results of definition files, taken once: labsUnder's check is indexed's */
  private readonly stamps = new Map<string, ReturnType<typeof stamp>>();

  constructor(file = labIndexFile()) {
    this.here = resolve(dirname(file));
    let parsed: Partial<LabIndexFile>;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LabIndexFile>;
    } catch {
      return;
    }
    if (parsed.format !== FORMAT || !Array.isArray(parsed.labs)) return;
    for (const entry of parsed.labs) this.byFile.set(under(this.here, entry.file), entry);
    this.walk = parsed.walk;
  }

  private stamp(file: string): ReturnType<typeof stamp> {
    if (!this.stamps.has(file)) this.stamps.set(file, stamp(file));
    return this.stamps.get(file);
  }

  /** The labs under `root` (what findLabs(root, root) finds) when the indexed walk of it still holds. */
  labsUnder(root: string): LabRef[] | undefined {
    const walk = this.walk;
    const base = resolve(root);
    if (!walk || under(this.here, walk.root) !== base) return undefined;
    const at = (rel: string): string => under(base, rel);
    for (const f of walk.folders) {
      if (statSync(at(f.dir), { throwIfNoEntry: false })?.mtimeMs !== f.mtimeMs) return undefined;
    }
    const labs = walk.found.map((l) => ({ id: l.id, name: l.name, dir: at(l.dir), file: at(l.dir ? `${l.dir}/${l.definition}` : l.definition) }));
    return labs.every((l) => !vouchedBy(l) || this.stamp(l.file)) ? labs : undefined;
  }

  private entryOf(ref: LabRef): LabIndexEntry | undefined {
    return this.byFile.get(isAbsolute(ref.file) ? ref.file : resolve(ref.file));
  }

  /** The indexed title of a lab whose definition has the size and mtime it had in the index. */
  indexed(ref: LabRef): string | undefined {
    const entry = this.entryOf(ref);
    if (!entry) return undefined;
    const now = this.stamp(ref.file);
    return now && now.size === entry.size && now.mtimeMs === entry.mtimeMs ? entry.title : undefined;
  }

  /** The lab's title: from the index when its definition is unchanged, else by loading the lab (which may throw LabError). */
  async titleOf(ref: LabRef): Promise<string> {
    const fresh = this.indexed(ref);
    if (fresh !== undefined) return fresh;
    // a new mtime (an npm install sets its own) on the same content
    const entry = this.entryOf(ref);
    if (entry && this.stamp(ref.file)?.size === entry.size && sha256(ref.file) === entry.sha256) return entry.title;
    return (await loadLab(ref)).title;
  }
}
