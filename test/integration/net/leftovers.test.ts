// The suite's leftover check sees named network namespaces and nft tables a test made.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { leftovers } from '../../helpers/leftovers.js';

const name = `tslabt-left-${process.pid}`;
afterEach(() => {
  spawnSync('ip', ['netns', 'delete', name]);
  spawnSync('nft', ['delete', 'table', 'inet', name]);
});

describe('leftover check', () => {
  it('names a netns and an nft table made with the test prefix, and forgets them once removed', () => {
    expect(spawnSync('ip', ['netns', 'add', name]).status).toBe(0);
    expect(spawnSync('nft', ['add', 'table', 'inet', name]).status).toBe(0);
    expect(leftovers()).toEqual(expect.arrayContaining([`netns ${name}`, `nft table inet ${name}`]));
    spawnSync('ip', ['netns', 'delete', name]);
    spawnSync('nft', ['delete', 'table', 'inet', name]);
    expect(leftovers().filter((l) => l.includes(name))).toEqual([]);
  });
});
