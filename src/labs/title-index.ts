// The labs' titles without loading the labs: the build writes dist/labs/index.json with each shipped
// lab's title and the size and mtime of the lab.ts it came from. `tslab lab list` takes a title from
// there when its lab.ts is unchanged since, and loads the lab (loadLab, the one loader) otherwise:
// a lab edited or added since the build, or one outside the package. Loading the 53 shipped labs for
// their titles costs ~40 ms; this costs one read and one stat per lab. The order and areas are the
// course's (labs/course.json), read each time, so they are not in the index.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { LabRef } from './catalog.js';
import { loadLab } from './load.js';
import { packageRoot } from '../oci/runtime-cli.js';
import { writeFileAtomic } from '../write-atomic.js';

const FORMAT = 1;

export interface LabIndexEntry {
  id: string;
  title: string;
  /** the definition file, relative to the index's folder */
  file: string;
  size: number;
  mtimeMs: number;
}

interface LabIndexFile {
  format: number;
  labs: LabIndexEntry[];
}

/** Where the build writes the index of the shipped labs. */
export function labIndexFile(): string {
  return join(packageRoot(), 'dist', 'labs', 'index.json');
}

/** The definition file's size and mtime: what an entry must match to be used. */
function stamp(file: string): { size: number; mtimeMs: number } | undefined {
  try {
    const s = statSync(file);
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

/**
 * Loads every lab of `refs` and writes their titles to `file`. A lab that does not load is left
 * out: `lab list` then loads it itself and says why it cannot.
 */
export async function writeLabIndex(refs: LabRef[], file = labIndexFile()): Promise<LabIndexEntry[]> {
  const labs: LabIndexEntry[] = [];
  for (const ref of refs) {
    // stamped before the load: an edit made while loading leaves the entry stale, not wrong
    const before = stamp(ref.file);
    if (!before) continue;
    try {
      const { title } = await loadLab(ref);
      labs.push({ id: ref.id, title, file: relative(dirname(file), ref.file), ...before });
    } catch {
      // not indexed
    }
  }
  writeFileAtomic(file, `${JSON.stringify({ format: FORMAT, labs } satisfies LabIndexFile)}\n`);
  return labs;
}

/** The labs' titles as of the last build, for `titleOf`: empty without an index (or an unreadable one). */
export class LabTitles {
  private readonly byFile = new Map<string, LabIndexEntry>();

  constructor(file = labIndexFile()) {
    let parsed: Partial<LabIndexFile>;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LabIndexFile>;
    } catch {
      return;
    }
    if (parsed.format !== FORMAT || !Array.isArray(parsed.labs)) return;
    for (const entry of parsed.labs) this.byFile.set(resolve(dirname(file), entry.file), entry);
  }

  /** The indexed title of a lab whose definition is unchanged since the index was written. */
  indexed(ref: LabRef): string | undefined {
    const entry = this.byFile.get(resolve(ref.file));
    if (!entry) return undefined;
    const now = stamp(ref.file);
    return now && now.size === entry.size && now.mtimeMs === entry.mtimeMs ? entry.title : undefined;
  }

  /** The lab's title: from the index when fresh, else by loading the lab (which may throw LabError). */
  async titleOf(ref: LabRef): Promise<string> {
    return this.indexed(ref) ?? (await loadLab(ref)).title;
  }
}
