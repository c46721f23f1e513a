// `tslab container rm -f` of a container that just started or is paused: the monitor unmounts the
// root while rm does, and rm used to fail about one time in four (umount2(…/rootfs, 2) failed:
// EINVAL) and keep the record. A loop of them must leave no record, no mount, no cgroup. And as
// docker rm: a missing name is reported and the others are still removed, with exit 1 at the end.
import { afterEach, describe, expect, it } from 'vitest';
import { tslab } from '../integration/image/registry.js';
import { leftovers } from '../helpers/leftovers.js';
import { containerWorld, poll } from './container-helpers.js';

const isRoot = process.getuid?.() === 0;
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(): ReturnType<typeof containerWorld> {
  const w = containerWorld();
  cleanups.push(() => w.cleanup());
  return w;
}

const ROUNDS = 10;

describe.skipIf(!isRoot)('tslab container rm -f (needs root)', { timeout: 300_000 }, () => {
  it(`removes ${ROUNDS} fresh and ${ROUNDS} paused containers at the first try, leaving nothing`, async () => {
    const w = setup();
    const failures: string[] = [];
    for (let i = 0; i < 2 * ROUNDS; i++) {
      const paused = i % 2 === 1;
      const name = `tslabt-reliab-rm-${i}`;
      const r = await tslab(['container', 'run', '-d', '--name', name, '--network', 'none', 'busybox', 'sleep', '300'], w.env);
      expect(r.code, r.stderr).toBe(0);
      if (paused) {
        const p = await tslab(['container', 'pause', name], w.env);
        expect(p.code, p.stderr).toBe(0);
      }
      const rm = await tslab(['container', 'rm', '-f', name], w.env);
      if (rm.code !== 0 || rm.stderr !== '') failures.push(`${name}${paused ? ' (paused)' : ''}: exit ${rm.code}: ${rm.stderr.trim()}`);
      const ps = await tslab(['container', 'ps', '-aq', '--no-trunc'], w.env);
      if (ps.stdout.trim() !== '') failures.push(`${name}: still listed after rm -f`);
      // a failed round is cleaned up so that the next one starts from nothing
      if (ps.stdout.trim() !== '') await tslab(['container', 'rm', '-f', name], w.env);
    }
    expect(failures).toEqual([]);
    await poll('the rounds\' mounts and cgroups to be gone', () => (leftovers().some((l) => l.includes('tslabt-reliab-rm-') || l.includes(w.dir)) ? undefined : true));
  });

  it('goes on past a missing name, reports it, and exits 1 at the end', async () => {
    const w = setup();
    for (const name of ['tslabt-reliab-rma', 'tslabt-reliab-rmb']) {
      const r = await tslab(['container', 'run', '-d', '--name', name, '--network', 'none', 'busybox', 'sleep', '300'], w.env);
      expect(r.code, r.stderr).toBe(0);
    }
    const rm = await tslab(['container', 'rm', '-f', 'tslabt-reliab-rma', 'tslabt-reliab-missing1', 'tslabt-reliab-rmb', 'tslabt-reliab-missing2'], w.env);
    expect(rm.code).toBe(1);
    expect(rm.stdout).toBe('tslabt-reliab-rma\ntslabt-reliab-rmb\n');
    expect(rm.stderr).toBe('tslab: no such container: tslabt-reliab-missing1 (see `tslab container ps -a`)\n'
      + 'tslab: no such container: tslabt-reliab-missing2 (see `tslab container ps -a`)\n');
    expect((await tslab(['container', 'ps', '-aq'], w.env)).stdout).toBe('');
  });
});
