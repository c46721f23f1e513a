// The course order (course.json, labs it does not list, areas) and the per-user progress file.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findLabs } from '../../../src/labs/catalog.js';
import { loadCourse } from '../../../src/labs/course.js';
import { markCompleted, progressFile, readProgress } from '../../../src/labs/progress.js';

const LABS = resolve(new URL('../../../labs', import.meta.url).pathname);
const scratch: string[] = [];
afterEach(() => {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(paths: string[], course?: object): string {
  const root = mkdtempSync(join(tmpdir(), 'tslabt-course-'));
  scratch.push(root);
  for (const p of paths) {
    mkdirSync(join(root, p), { recursive: true });
    writeFileSync(join(root, p, 'lab.ts'), 'export default {};\n');
  }
  if (course) writeFileSync(join(root, 'course.json'), JSON.stringify(course));
  return root;
}

describe('course', () => {
  it('orders the real labs foundations first, lists every lab once, and names only labs that exist', () => {
    const course = loadCourse(LABS);
    expect(course[0]!.area).toBe('foundations');
    expect(course[0]!.ref.id).toBe('foundations/one-kernel');
    expect(course.map((c) => c.ref.id).sort()).toEqual(findLabs(LABS, LABS).map((l) => l.id).sort());
    expect(course.map((c) => c.number)).toEqual(course.map((_, i) => i + 1));
    const ids = new Set(course.map((c) => c.ref.id));
    for (const c of course) for (const r of c.requires) expect(ids, `${c.ref.id} requires ${r}`).toContain(r);
    // a prerequisite always comes earlier
    for (const c of course) for (const r of c.requires) expect(course.findIndex((x) => x.ref.id === r)).toBeLessThan(c.number - 1);
    const json = JSON.parse(readFileSync(join(LABS, 'course.json'), 'utf8')) as { labs: { id: string }[] };
    expect(json.labs.filter((l) => !ids.has(l.id))).toEqual([]);
  });

  it('places labs course.json does not list after the listed labs of their area, unknown areas last', () => {
    const root = tree(['basics/b', 'basics/a', 'basics/new', 'net/n', 'zoo/z', 'images/i'], {
      areas: ['foundations', 'images', 'network'],
      folderAreas: { basics: 'foundations', net: 'network' },
      labs: [{ id: 'basics/b', area: 'foundations' }, { id: 'net/n', area: 'network', requires: ['basics/b'] }, { id: 'basics/a' }, { id: 'gone/x' }],
    });
    const course = loadCourse(root);
    expect(course.map((c) => `${c.number} ${c.ref.id} ${c.area}${c.listed ? '' : ' +'}`)).toEqual([
      '1 basics/b foundations', '2 basics/a foundations', '3 basics/new foundations +', '4 images/i images +', '5 net/n network', '6 zoo/z zoo +',
    ]);
    expect(course[4]!.requires).toEqual(['basics/b']);
  });

  it('without a course file, keeps the folders\' order', () => {
    const root = tree(['b/y', 'a/x']);
    expect(loadCourse(root).map((c) => c.ref.id)).toEqual(['a/x', 'b/y']);
  });
});

describe('progress', () => {
  it('lives in XDG_STATE_HOME/tslab, records the first completion, and belongs to the sudo user', () => {
    const state = mkdtempSync(join(tmpdir(), 'tslabt-progress-'));
    scratch.push(state);
    const env = { XDG_STATE_HOME: join(state, 'deep'), SUDO_UID: '65534', SUDO_GID: '65534' };
    expect(progressFile(env)).toBe(join(state, 'deep', 'tslab', 'progress.json'));
    expect(readProgress(env).labs).toEqual({});
    markCompleted('namespaces/uts-namespace', 'runc', env);
    const first = readProgress(env).labs['namespaces/uts-namespace']!;
    expect(first.runtime).toBe('runc');
    markCompleted('namespaces/uts-namespace', 'tslab-runtime', env);
    expect(readProgress(env).labs['namespaces/uts-namespace']).toEqual(first);
    // readable without root: the file and the folders made for it are the user's
    for (const p of [progressFile(env), join(state, 'deep', 'tslab'), join(state, 'deep')]) expect(statSync(p).uid, p).toBe(65534);
    expect(statSync(progressFile(env)).mode & 0o044).toBe(0o044);
  });

  it('without XDG_STATE_HOME, uses ~/.local/state of the user', () => {
    expect(progressFile({ HOME: '/home/x' }).endsWith(join('.local', 'state', 'tslab', 'progress.json'))).toBe(true);
  });
});
