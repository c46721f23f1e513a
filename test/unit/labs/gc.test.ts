// Stale lab runs: a scratch folder whose owner is gone is removed; a live owner's is kept.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectStaleRuns, writeOwner } from '../../../src/labs/gc.js';

const PREFIX = `tslabt-gcunit-${process.pid}-`;
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  made.push(dir);
  return dir;
}

describe('collectStaleRuns', () => {
  it('removes folders whose runner is gone, keeps live ones and folders that are not lab runs', async () => {
    const dead = scratch();
    writeFileSync(join(dead, 'owner.json'), JSON.stringify({ pid: 2 ** 22 + 1, start: '1', runtime: '/nonexistent/runtime' }));
    const reused = scratch(); // our pid, but another start time: the pid was reused
    writeFileSync(join(reused, 'owner.json'), JSON.stringify({ pid: process.pid, start: 'not-ours', runtime: '/nonexistent/runtime' }));
    const live = scratch();
    writeOwner(live, '/usr/sbin/runc');
    const stranger = scratch(); // no owner.json: not ours to touch

    const removed = await collectStaleRuns(PREFIX);
    expect(removed.sort()).toEqual([dead, reused].sort());
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(reused)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(stranger)).toBe(true);
  });
});
