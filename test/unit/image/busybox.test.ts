// The one busybox finder: a static binary runs in the image, a dynamically linked one (PT_INTERP) does not.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findHostBusybox, hasInterpreter } from '../../../src/image/busybox.js';

describe('hasInterpreter', () => {
  it('sees the loader of a dynamically linked program and none in the static busybox', () => {
    expect(hasInterpreter(readFileSync(process.execPath))).toBe(true); // node is dynamically linked
    expect(hasInterpreter(readFileSync('/bin/sh'))).toBe(true);
    expect(hasInterpreter(readFileSync(findHostBusybox()))).toBe(false);
  });

  it('is false for what is not ELF', () => {
    expect(hasInterpreter(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(80, ' ')))).toBe(false);
  });
});
