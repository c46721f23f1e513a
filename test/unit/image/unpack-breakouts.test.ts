// containerd's TestBreakouts cases, ported: hostile layer entries that try to write, link or
// delete outside the root. Each must end with the expected state inside the root and nothing
// changed outside it (a sibling "outside" folder and the host's /etc are watched).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync,
  linkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLayer, cleanComponents, resolveInRoot } from '../../../src/image/unpack.js';
import { dir, file, link, symlink, tarStream, type TarEntry } from './tarfixture.js';

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'tslabt-unpack-'));
});
afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

type Setup = (root: string) => void;
type Check = (root: string) => void;

const inRoot = (root: string, p: string): string => resolveInRoot(root, cleanComponents(p));

function snapshot(dirPath: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.push(`${p} ${st.mode} ${st.size} ${st.ino} ${st.isFile() ? readFileSync(p, 'utf8') : ''}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dirPath);
  return out.join('\n');
}

async function runCase(name: string, entries: TarEntry[], setup: Setup | undefined, check: Check | undefined, expectError?: RegExp, privateRoot = false): Promise<void> {
  const caseDir = join(base, privateRoot ? `${name}-private` : name);
  const root = join(caseDir, 'root');
  const outside = join(caseDir, 'outside');
  mkdirSync(join(outside, 'etc'), { recursive: true });
  writeFileSync(join(outside, 'etc', 'passwd'), 'outside');
  mkdirSync(root, { recursive: true });
  setup?.(root);
  const before = snapshot(outside);
  const hostEtc = readdirSync('/etc').sort().join(',');
  const run = applyLayer(await tarStream(entries), root, { whiteouts: 'delete', owners: false, private: privateRoot });
  if (expectError) {
    await expect(run).rejects.toThrow(expectError);
  } else {
    await run;
    check?.(root);
  }
  expect(snapshot(outside)).toBe(before);
  expect(readdirSync('/etc').sort().join(',')).toBe(hostEtc);
  expect(existsSync('/etc/unbroken')).toBe(false);
}

const unbroken = (root: string): void => {
  expect(readFileSync(join(root, 'etc', 'unbroken'), 'utf8')).toBe('unbroken');
};
const sameFile = (a: string, b: string) => (root: string): void => {
  const sa = statSync(inRoot(root, a));
  const sb = statSync(inRoot(root, b));
  expect(sa.ino).toBe(sb.ino);
};
const notSameFile = (a: string, b: string) => (root: string): void => {
  expect(statSync(inRoot(root, a)).ino).not.toBe(statSync(inRoot(root, b)).ino);
};
const sameSymlink = (a: string, b: string) => (root: string): void => {
  expect(lstatSync(join(root, a)).isSymbolicLink()).toBe(true);
  expect(readlinkSync(join(root, a))).toBe(readlinkSync(join(root, b)));
};
const fileValue = (p: string, v: string) => (root: string): void => {
  expect(readFileSync(join(root, p), 'utf8')).toBe(v);
};
const notExists = (p: string) => (root: string): void => {
  expect(existsSync(join(root, p)) || (() => { try { lstatSync(join(root, p)); return true; } catch { return false; } })()).toBe(false);
};
const all = (...checks: Check[]) => (root: string): void => {
  for (const c of checks) c(root);
};
const etcPasswd = (content = 'inside'): Setup => (root) => {
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'passwd'), content);
};

interface Case {
  name: string;
  entries: TarEntry[];
  setup?: Setup;
  check?: Check;
  error?: RegExp;
}

const cases: Case[] = [
  { name: 'SymlinkAbsolute', entries: [dir('etc'), symlink('/etc', 'localetc'), file('/localetc/unbroken', 'unbroken')], check: unbroken },
  { name: 'SymlinkUpAndOut', entries: [dir('etc'), dir('dummy'), symlink('/dummy/../etc', 'localetc'), file('/localetc/unbroken', 'unbroken')], check: unbroken },
  { name: 'SymlinkMultipleAbsolute', entries: [dir('etc'), dir('dummy'), symlink('/etc', '/dummy/etc'), symlink('/dummy/etc', 'localetc'), file('/dummy/etc/unbroken', 'unbroken')], check: unbroken },
  { name: 'SymlinkMultipleRelative', entries: [dir('etc'), dir('dummy'), symlink('/etc', '/dummy/etc'), symlink('./dummy/etc', 'localetc'), file('/dummy/etc/unbroken', 'unbroken')], check: unbroken },
  {
    name: 'SymlinkEmptyFile',
    entries: [dir('etc'), file('etc/emptied', 'notempty'), symlink('/etc', 'localetc'), file('/localetc/emptied', '')],
    check: fileValue('etc/emptied', ''),
  },
  { name: 'HardlinkRelative', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), dir('breakouts'), symlink('../../etc', 'breakouts/d1'), link('/breakouts/d1/passwd', 'breakouts/mypasswd')], check: sameFile('/breakouts/mypasswd', '/etc/passwd') },
  { name: 'HardlinkDownAndOut', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), dir('breakouts'), dir('downandout'), symlink('../downandout/../../etc', 'breakouts/d1'), link('/breakouts/d1/passwd', 'breakouts/mypasswd')], check: sameFile('/breakouts/mypasswd', '/etc/passwd') },
  { name: 'HardlinkAbsolute', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('/etc', 'localetc'), link('/localetc/passwd', 'localpasswd')], check: sameFile('localpasswd', '/etc/passwd') },
  { name: 'HardlinkRelativeLong', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('../../../../../../../etc', 'localetc'), link('/localetc/passwd', 'localpasswd')], check: sameFile('localpasswd', '/etc/passwd') },
  { name: 'HardlinkRelativeUpAndOut', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('upandout/../../../etc', 'localetc'), link('/localetc/passwd', 'localpasswd')], check: sameFile('localpasswd', '/etc/passwd') },
  { name: 'HardlinkDirectRelative', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), link('../../../../../etc/passwd', 'localpasswd')], check: sameFile('localpasswd', '/etc/passwd') },
  { name: 'HardlinkDirectAbsolute', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), link('/etc/passwd', 'localpasswd')], check: sameFile('localpasswd', '/etc/passwd') },
  { name: 'HardlinkSymlinkBeforeCreateTarget', entries: [dir('etc', 0o770), symlink('/etc/passwd', 'localpasswd'), link('localpasswd', 'localpasswd-dup'), file('/etc/passwd', 'after')], check: sameFile('localpasswd-dup', '/etc/passwd') },
  { name: 'HardlinkSymlinkRelative', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('../../../../../etc/passwd', 'passwdlink'), link('/passwdlink', 'localpasswd')], check: all(sameSymlink('/localpasswd', '/passwdlink'), sameFile('/localpasswd', '/etc/passwd')) },
  { name: 'HardlinkSymlinkAbsolute', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('/etc/passwd', 'passwdlink'), link('/passwdlink', 'localpasswd')], check: all(sameSymlink('/localpasswd', '/passwdlink'), sameFile('/localpasswd', '/etc/passwd')) },
  { name: 'SymlinkParentDirectory', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('/etc/', '..'), link('/etc/passwd', 'localpasswd')], check: sameFile('/localpasswd', '/etc/passwd') },
  { name: 'SymlinkEmptyFilename', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('/etc/', ''), link('/etc/passwd', 'localpasswd')], check: sameFile('/localpasswd', '/etc/passwd') },
  { name: 'SymlinkParentRelative', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('/etc/', 'localetc/sub/..'), link('/etc/passwd', '/localetc/localpasswd')], check: sameFile('/localetc/localpasswd', '/etc/passwd') },
  { name: 'SymlinkSlashEnded', entries: [dir('etc', 0o770), file('/etc/passwd', 'inside'), dir('localetc/', 0o770), link('/etc/passwd', '/localetc/localpasswd')], check: sameFile('/localetc/localpasswd', '/etc/passwd') },
  {
    name: 'SymlinkOverrideDirectory',
    setup: (root) => { etcPasswd()(root); mkdirSync(join(root, 'localetc')); },
    entries: [symlink('/etc', 'localetc'), link('/etc/passwd', '/localetc/localpasswd')],
    check: sameFile('/localetc/localpasswd', '/etc/passwd'),
  },
  {
    name: 'SymlinkOverrideDirectoryRelative',
    setup: (root) => { etcPasswd()(root); mkdirSync(join(root, 'localetc')); },
    entries: [symlink('../../etc', 'localetc'), link('/etc/passwd', '/localetc/localpasswd')],
    check: sameFile('/localetc/localpasswd', '/etc/passwd'),
  },
  {
    name: 'DirectoryOverrideSymlink',
    setup: (root) => { etcPasswd()(root); symlinkSync('/etc', join(root, 'localetc')); },
    entries: [dir('/localetc/'), link('/etc/passwd', '/localetc/localpasswd')],
    check: sameFile('/localetc/localpasswd', '/etc/passwd'),
  },
  {
    name: 'DirectoryOverrideSymlinkAndHardlink',
    setup: (root) => { etcPasswd()(root); symlinkSync('etc', join(root, 'localetc')); linkSync(join(root, 'etc/passwd'), join(root, 'etc/localpasswd')); },
    entries: [dir('/localetc/'), file('/localetc/localpasswd', 'different')],
    check: notSameFile('/localetc/localpasswd', '/etc/passwd'),
  },
  { name: 'WhiteoutRootParent', setup: etcPasswd(), entries: [file('.wh...', '')], error: /whiteout must name an entry/ },
  { name: 'WhiteoutParent', setup: etcPasswd(), entries: [file('etc/.wh...', '')], error: /whiteout must name an entry/ },
  { name: 'WhiteoutRoot', setup: etcPasswd(), entries: [file('.wh..', '')], error: /whiteout must name an entry/ },
  { name: 'WhiteoutCurrentDirectory', setup: etcPasswd(), entries: [file('etc/.wh..', '')], error: /whiteout must name an entry/ },
  {
    name: 'WhiteoutSymlink',
    setup: (root) => { etcPasswd('all users')(root); symlinkSync('/etc', join(root, 'localetc')); },
    entries: [file('.wh.localetc', '')],
    check: all(fileValue('etc/passwd', 'all users'), notExists('localetc')),
  },
  {
    name: 'WhiteoutSymlinkPath',
    setup: (root) => { etcPasswd('all users')(root); writeFileSync(join(root, 'etc/whitedout'), 'ahhhh whiteout'); symlinkSync('/etc', join(root, 'localetc')); },
    entries: [file('localetc/.wh.whitedout', '')],
    check: all(fileValue('etc/passwd', 'all users'), notExists('etc/whitedout')),
  },
  {
    name: 'WhiteoutDirectoryName',
    setup: (root) => { etcPasswd('all users')(root); symlinkSync('/etc', join(root, 'localetc')); },
    entries: [file('.wh.etc/somefile', 'non-empty')],
    check: all(fileValue('etc/passwd', 'all users'), fileValue('.wh.etc/somefile', 'non-empty')),
  },
  {
    name: 'WhiteoutDeadSymlinkParent',
    setup: (root) => { etcPasswd('all users')(root); symlinkSync('/dne', join(root, 'localetc')); },
    entries: [file('localetc/.wh.etc', '')],
    check: fileValue('etc/passwd', 'all users'),
  },
  {
    name: 'WhiteoutRelativePath',
    setup: (root) => { etcPasswd('all users')(root); symlinkSync('/dne', join(root, 'localetc')); },
    entries: [file('dne/../.wh.etc', '')],
    check: notExists('etc/passwd'),
  },
  // Beyond containerd's list: plain traversal names and a symlink parent pointing at the host.
  { name: 'DotDotName', entries: [dir('etc'), file('../../../../etc/unbroken', 'unbroken')], check: unbroken },
  { name: 'AbsoluteName', entries: [file('/etc/unbroken', 'unbroken')], check: unbroken },
  { name: 'SymlinkToHostOutside', entries: [symlink('../outside', 'out'), file('out/etc/passwd', 'pwned')], check: fileValue('outside/etc/passwd', 'pwned') },
];

describe('layer unpack keeps every entry inside the root (containerd TestBreakouts)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      await runCase(c.name, c.entries, c.setup, c.check, c.error);
    });
  }
});

// A snapshot unpack remembers the parent folders it resolved; the same hostile entries must
// still land inside the root.
describe('the same cases with parent folders remembered (a private root)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      await runCase(c.name, c.entries, c.setup, c.check, c.error, true);
    });
  }
});
