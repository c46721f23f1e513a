// The CLI's bundles (scripts/bundle.mjs): the entry dist/tslab.cjs, one bundle per command group and
// one of each group's action code (dist/tslab-GROUP.lazy.cjs). A command loads the entry and its own
// group only, and the actions' bundle only for an action that imports from it; what must be one per
// process (the error classes, the tracer) is the entry's, whichever bundle uses it.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run, TSLAB } from '../helpers/runtimes.js';
import { scriptsOf } from '../helpers/scripts.js';

const DIST = pathToFileURL(join(fileURLToPath(new URL('../..', import.meta.url)), 'dist')).href;
const bundlesOf = (urls: string[]): string[] => urls.filter((u) => /\/dist\/tslab[^/]*\.cjs$/.test(u)).map((u) => u.slice(DIST.length + 1)).sort();

describe('CLI bundles', () => {
  it('tslab --version loads the entry bundle alone', async () => {
    const r = await scriptsOf(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(bundlesOf(r.urls)).toEqual(['tslab.cjs']);
  });

  it('tslab lab list loads the entry and the lab group, no other group', async () => {
    const r = await scriptsOf(['lab', 'list']);
    expect(r.code, r.stderr).toBe(0);
    expect(bundlesOf(r.urls)).toEqual(['tslab-lab.cjs', 'tslab.cjs']);
  });

  it.each(['image ls', 'container ls -a', 'volume ls'])('tslab %s loads the entry and its group, not the actions\' bundle', async (command) => {
    const args = command.split(' ');
    const r = await scriptsOf(args);
    expect(r.code, r.stderr).toBe(0);
    expect(bundlesOf(r.urls)).toEqual([`tslab-${args[0]}.cjs`, 'tslab.cjs']);
  });

  it('an action that imports its code loads the actions\' bundle, and its errors are the entry\'s classes', async () => {
    const name = `tslabt-cli-none-${process.pid}`;
    const r = await scriptsOf(['container', 'kill', name], { TSLAB_DEBUG: '1' });
    expect(bundlesOf(r.urls)).toEqual(['tslab-container.cjs', 'tslab-container.lazy.cjs', 'tslab.cjs']);
    // a usage error: one line, no stack, even with TSLAB_DEBUG
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`tslab: no such container: ${name} (see \`tslab container ps -a\`)\n`);
  });

  it('tslab --help loads every group, each once, and lists every command', async () => {
    const r = await scriptsOf(['--help']);
    expect(r.code, r.stderr).toBe(0);
    const bundles = bundlesOf(r.urls);
    expect(bundles).toEqual([...new Set(bundles)]);
    expect(bundles).toEqual(expect.arrayContaining(['tslab.cjs', 'tslab-container.cjs', 'tslab-image.cjs', 'tslab-lab.cjs', 'tslab-network.cjs']));
    for (const command of ['container', 'volume', 'image', 'build', 'network', 'run', 'lab', 'trace', 'explain']) expect(r.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('an error class of the entry is the one a group throws: a usage error shows no stack even with TSLAB_DEBUG', async () => {
    const r = await run(TSLAB, ['test', '--reporter', 'nope'], { env: { ...process.env, TSLAB_DEBUG: '1', TSLAB_UNBUNDLED: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tslab: --reporter nope: use plain, tap or junit\n');
  });
});
