// The course: the labs in the order a student takes them. labs/course.json lists lab ids with an
// area and their prerequisites; labs it does not list (added since) are placed after the listed
// labs of their area (their top folder, through folderAreas), unknown areas last. Ids stay usable.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { findLabs, labsRoot, type LabRef } from './catalog.js';

export interface CourseEntry {
  /** position in the course, from 1 */
  number: number;
  ref: LabRef;
  area: string;
  /** lab ids to do first */
  requires: string[];
  /** false: found under labs/ but not in course.json */
  listed: boolean;
}

interface CourseFile {
  areas?: string[];
  folderAreas?: Record<string, string>;
  labs?: Array<{ id: string; area?: string; requires?: string[] }>;
}

export const COURSE_FILE = 'course.json';

function readCourseFile(root: string): CourseFile {
  const file = join(root, COURSE_FILE);
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CourseFile;
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON (${(err as Error).message}); fix it or remove it`);
  }
}

/** Every lab under `root` (`labs`: the labs found there, when known), in course order. */
export function loadCourse(root = labsRoot(), labs?: LabRef[]): CourseEntry[] {
  const course = readCourseFile(root);
  const areas = course.areas ?? [];
  const byId = new Map((labs ?? findLabs(root, root)).map((r) => [r.id, r]));
  const folderArea = (id: string): string => {
    const top = id.split('/')[0] ?? id;
    return course.folderAreas?.[top] ?? top;
  };
  const placed: Omit<CourseEntry, 'number'>[] = [];
  for (const l of course.labs ?? []) {
    const ref = byId.get(l.id);
    if (!ref) continue; // a lab removed (or not yet merged): the course goes on without it
    byId.delete(l.id);
    placed.push({ ref, area: l.area ?? folderArea(l.id), requires: l.requires ?? [], listed: true });
  }
  for (const ref of byId.values()) placed.push({ ref, area: folderArea(ref.id), requires: [], listed: false });
  // stable sort by area: listed labs keep their order, unlisted ones follow those of their area
  const rank = (area: string): number => (areas.includes(area) ? areas.indexOf(area) : areas.length);
  const order = placed.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p.area) - rank(b.p.area)
    || Number(b.p.listed) - Number(a.p.listed) || a.i - b.i);
  return order.map(({ p }, i) => ({ ...p, number: i + 1 }));
}
