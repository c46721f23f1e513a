// Hostile root filesystems, ours and runc side by side: a /proc (or /sys) that is a symlink to the
// rootfs root, out of it, to another kernel filesystem's directory, or a plain file. runc refuses
// them ("filesystem "proc" must be mounted on ordinary directory"); so must we, at once, leaving
// nothing behind (the probe saw procfs mounted over the rootfs and an init spinning for ever).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME } from '../../helpers/runtimes.js';
import { leftovers } from '../../helpers/leftovers.js';

const isRoot = process.getuid?.() === 0;
const runc = runcPath();
let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'tslabt-sec-hostile-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HOSTILE: Array<[string, string, (rootfs: string) => void]> = [
  ['/proc → /', 'proc', (r) => symlinkSync('/', join(r, 'proc'))],
  ['/proc → ../../..', 'proc', (r) => symlinkSync('../../..', join(r, 'proc'))],
  ['/proc → /sys', 'proc', (r) => symlinkSync('/sys', join(r, 'proc'))],
  ['/proc → /dev', 'proc', (r) => symlinkSync('/dev', join(r, 'proc'))],
  ['/proc a file', 'proc', (r) => writeFileSync(join(r, 'proc'), 'not a directory')],
  ['/sys → /', 'sysfs', (r) => symlinkSync('/', join(r, 'sys'))],
];

describe.skipIf(!isRoot || !runc)('hostile bundles (ours and runc; needs root and runc)', { timeout: 60_000 }, () => {
  describe.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s', (name, rt) => {
    it.each(HOSTILE)('refuses %s', async (_label, fs, make) => {
      const id = uniqueId(`sec-hb-${name}`);
      const b = makeBundle(['true'], undefined, id);
      try {
        const rootfs = join(b.dir, 'rootfs');
        rmSync(join(rootfs, fs === 'proc' ? 'proc' : 'sys'), { recursive: true, force: true });
        make(rootfs);
        const r = await run(rt, ['--root', join(root, name), 'run', '--bundle', b.dir, id], { timeoutMs: 20_000 });
        expect(r.code).not.toBe(0);
        // runc's log format escapes the quotes
        expect(r.stderr).toMatch(new RegExp(`filesystem \\\\?"${fs}\\\\?" must be mounted on ordinary directory`));
        expect(leftovers().filter((l) => l.includes(id))).toEqual([]);
      } finally {
        await run(rt, ['--root', join(root, name), 'delete', '--force', id]);
        b.cleanup();
      }
    });
  });
});
