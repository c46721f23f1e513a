// The build context and COPY/ADD sources: a source must stay inside its root (the context folder,
// or another stage's root filesystem), .dockerignore'd files do not exist for the build, and the
// files a step copies are hashed for the cache key (names, types, modes, contents; not mtimes).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { IgnoreMatcher } from './ignore.js';
import { cleanComponents, resolveInRoot } from '../image/unpack.js';

export interface SourceRoot {
  /** Host path of the root (context folder or a mounted stage rootfs). */
  dir: string;
  /** The build context follows .dockerignore; a stage's rootfs resolves symlinks inside itself. */
  kind: 'context' | 'rootfs';
  ignore?: IgnoreMatcher;
  /** How errors name it: "the build context", "stage build". */
  label: string;
}

export class SourceError extends Error {}

export interface Source {
  /** Host path to read. */
  path: string;
  /** Path relative to the root, / separated ('' for the root itself). */
  rel: string;
}

function hasGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

function globToRegExp(component: string): RegExp {
  let re = '';
  for (let i = 0; i < component.length; i++) {
    const c = component[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = component.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        re += `[${component.slice(i + 1, close).replace(/^!/, '^')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function lstatOr(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Expands one COPY source (wildcards allowed) to the paths it names inside `root`. */
export function resolveSources(root: SourceRoot, source: string): Source[] {
  const raw = source.replace(/^\/+/, '');
  if (root.kind === 'context') {
    const normal = posix.normalize(raw === '' ? '.' : raw);
    if (normal === '..' || normal.startsWith('../')) throw new SourceError(`"${source}" is outside the build context: a build sees only the files under ${root.dir}`);
  }
  let candidates = [''];
  for (const c of cleanComponents(raw)) {
    const next: string[] = [];
    for (const base of candidates) {
      if (!hasGlob(c)) {
        next.push(base ? `${base}/${c}` : c);
        continue;
      }
      const re = globToRegExp(c);
      let names: string[] = [];
      try {
        names = readdirSync(hostPath(root, base));
      } catch {
        // no such folder: no match
      }
      for (const n of names.sort()) if (re.test(n)) next.push(base ? `${base}/${n}` : n);
    }
    candidates = next;
  }
  const found = candidates.filter((rel) => !(root.ignore && rel !== '' && root.ignore.ignores(rel)))
    .map((rel) => ({ rel, path: hostPath(root, rel) }))
    .filter((s) => lstatOr(s.path) !== undefined);
  if (found.length === 0) {
    throw new SourceError(`"${source}" not found in ${root.label}${root.ignore && !root.ignore.empty ? ' (or excluded by .dockerignore)' : ''}`);
  }
  return found;
}

/**
 * The host path of `rel`: in a stage's rootfs symlinks resolve inside the rootfs; in the context a
 * symlink on the way that leads outside it is an error (the build would read a host file).
 */
export function hostPath(root: SourceRoot, rel: string): string {
  if (root.kind === 'rootfs') return resolveInRoot(root.dir, cleanComponents(rel));
  const path = join(root.dir, rel);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return path; // missing: the caller reports it
  }
  const top = realpathSync(root.dir);
  if (real !== top && !real.startsWith(`${top}/`)) {
    const link = lstatOr(path)?.isSymbolicLink() ? ` (a symlink to ${readlinkSync(path)})` : ' (through a symlink)';
    throw new SourceError(`"${rel}"${link} points outside the build context: copy the file itself into the context`);
  }
  return real;
}

/** Entries under a source, itself first, children sorted; ignored files left out. */
export function walk(root: SourceRoot, source: Source, visit: (path: string, rel: string, st: Stats) => void): void {
  const go = (path: string, rel: string): void => {
    const st = lstatSync(path);
    visit(path, rel, st);
    if (!st.isDirectory()) return;
    for (const name of readdirSync(path).sort()) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (root.ignore && root.ignore.ignores(childRel)) continue;
      go(join(path, name), childRel);
    }
  };
  go(source.path, source.rel);
}

/** A digest over what the sources contain, for the cache key. */
export function sourcesDigest(root: SourceRoot, sources: Source[]): string {
  const hash = createHash('sha256');
  for (const s of sources) {
    walk(root, s, (path, rel, st) => {
      const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
      hash.update(`${relative(s.rel || '.', rel || '.')}\0${kind}\0${st.mode & 0o7777}\0`);
      if (kind === 'f') hash.update(createHash('sha256').update(readFileSync(path)).digest());
      if (kind === 'l') hash.update(readlinkSync(path));
      if (root.kind === 'rootfs') hash.update(`\0${st.uid}:${st.gid}`);
      hash.update('\n');
    });
  }
  return `sha256:${hash.digest('hex')}`;
}
