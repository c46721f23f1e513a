// The Dockerfile parser, word expansion and .dockerignore matching, without a kernel.
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../../src/build/dockerfile.js';
import { keyValues, word, words } from '../../../src/build/words.js';
import { IgnoreMatcher } from '../../../src/build/ignore.js';

describe('parseDockerfile', () => {
  it('joins continuations, skips comments, reads flags and the JSON form', () => {
    const text = [
      '# escape=\\',
      'ARG BASE=busybox',
      'FROM $BASE AS build',
      'RUN echo a \\',
      '  # a comment inside is dropped',
      '  && echo b',
      'COPY --chown=1:2 --from=build a b /dst/',
      'CMD ["sh", "-c", "echo hi"]',
      'ENTRYPOINT echo not json [',
    ].join('\n');
    const ins = parseDockerfile(text);
    expect(ins.map((i) => [i.name, i.line])).toEqual([['ARG', 2], ['FROM', 3], ['RUN', 4], ['COPY', 7], ['CMD', 8], ['ENTRYPOINT', 9]]);
    expect(ins[2]!.rest).toBe('echo a   && echo b');
    expect(ins[3]!.flags).toEqual({ chown: '1:2', from: 'build' });
    expect(ins[3]!.rest).toBe('a b /dst/');
    expect(ins[4]!.json).toEqual(['sh', '-c', 'echo hi']);
    expect(ins[5]!.json).toBeUndefined();
  });

  it('names the file, line and instruction in every error', () => {
    expect(() => parseDockerfile('FROM busybox\nFORM x\n', 'ctx/Dockerfile')).toThrow('ctx/Dockerfile:2: unknown instruction "FORM" (did you mean FROM?)');
    expect(() => parseDockerfile('FROM busybox\nCOPY onlyone\n')).toThrow('Dockerfile:2: COPY: needs a source and a destination');
    expect(() => parseDockerfile('FROM busybox\nCOPY --frm=x a b\n')).toThrow('Dockerfile:2: COPY: unknown flag --frm');
    expect(() => parseDockerfile('FROM busybox\nHEALTHCHECK CMD true\n')).toThrow(/Dockerfile:2: HEALTHCHECK: not supported/);
    expect(() => parseDockerfile('RUN true\n')).toThrow('Dockerfile:1: no FROM instruction');
    expect(() => parseDockerfile('ENV A=b\nFROM busybox\n')).toThrow('Dockerfile:1: ENV: comes before the first FROM');
    expect(() => parseDockerfile('FROM busybox\nSHELL /bin/bash\n')).toThrow('Dockerfile:2: SHELL: needs the JSON form');
    expect(() => parseDockerfile('FROM a b c d\n')).toThrow('Dockerfile:1: FROM: use FROM IMAGE or FROM IMAGE AS NAME');
    expect(() => parseDockerfile('FROM busybox\nRUN <<EOF\n')).toThrow(/here-documents/);
  });
});

describe('word expansion', () => {
  const vars = new Map([['A', 'one'], ['EMPTY', '']]);
  it('expands $A, ${A}, defaults and alternatives, keeps quoted text', () => {
    expect(word('$A-${A}', vars)).toBe('one-one');
    expect(word('${MISSING:-fallback} ${EMPTY:-e} ${A:+set} ${MISSING:+x}.', vars)).toBe('fallback e set .');
    expect(word("'$A' \"$A\" \\$A", vars)).toBe('$A one $A');
    expect(words('a "b c" d\\ e', vars)).toEqual(['a', 'b c', 'd e']);
  });
  it('reads KEY=VALUE pairs and the legacy ENV form', () => {
    expect(keyValues('X=1 Y="two words" Z=$A', vars, true)).toEqual([['X', '1'], ['Y', 'two words'], ['Z', 'one']]);
    expect(keyValues('X value with  spaces', vars, true)).toEqual([['X', 'value with  spaces']]);
    expect(() => keyValues('novalue', vars, false)).toThrow('"novalue" is not KEY=VALUE');
    expect(() => word('${A', vars)).toThrow('missing }');
  });
});

describe('.dockerignore', () => {
  it('matches like docker: root-relative globs, **, folders, and ! exceptions', () => {
    const m = new IgnoreMatcher(['# comment', '*.log', '**/*.tmp', 'build', '!build/keep.txt', '/secret']);
    expect(m.ignores('a.log')).toBe(true);
    expect(m.ignores('sub/a.log')).toBe(false); // *.log is for the top folder only
    expect(m.ignores('sub/deep/x.tmp')).toBe(true);
    expect(m.ignores('build/out.o')).toBe(true);
    expect(m.ignores('build/keep.txt')).toBe(false);
    expect(m.ignores('secret')).toBe(true);
    expect(m.ignores('src/main.ts')).toBe(false);
  });
});
