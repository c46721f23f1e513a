// .dockerignore the way docker reads it: one pattern a line (Go's filepath.Match plus `**`),
// `#` comments, a leading `!` re-includes, the last matching pattern wins, and a pattern that
// matches a directory excludes everything below it.
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

interface Pattern {
  negate: boolean;
  re: RegExp;
}

function toRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**` matches any number of directories (also none)
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) {
        re += '\\[';
      } else {
        let body = pattern.slice(i + 1, close);
        if (body.startsWith('^') || body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += `\\${pattern[++i]}`;
    } else {
      re += c.replace(/[.+^${}()|]/g, '\\$&');
    }
  }
  return new RegExp(`${re}$`);
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[];

  constructor(lines: string[]) {
    this.patterns = [];
    for (const raw of lines) {
      let line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const negate = line.startsWith('!');
      if (negate) line = line.slice(1).trim();
      line = posix.normalize(line.replace(/^\/+/, ''));
      if (line === '.' || line === '') continue;
      this.patterns.push({ negate, re: toRegExp(line) });
    }
  }

  static forContext(context: string): IgnoreMatcher {
    const file = join(context, '.dockerignore');
    return new IgnoreMatcher(existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []);
  }

  /** `rel` is a context-relative path with / separators. */
  ignores(rel: string): boolean {
    const parents: string[] = [];
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) parents.push(parts.slice(0, i).join('/'));
    let ignored = false;
    for (const p of this.patterns) {
      // a pattern matches the path itself or any folder above it
      if (parents.some((candidate) => p.re.test(candidate))) ignored = !p.negate;
    }
    return ignored;
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }
}
