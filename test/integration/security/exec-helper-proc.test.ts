// The probe of issue 11 as a regression test: a process inside a default container loops over
// /proc while `exec` runs, trying what CVE-2019-5736 does — read /proc/<helper>/exe and
// /proc/<helper>/fd/*, hold the exe open and rewrite it once the helper has exec'd. Against ours
// and runc (the oracle): nothing of the runtime may be reachable.
import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId, type TestBundle } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';

const isRoot = process.getuid?.() === 0;
const runc = runcPath();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** Loops over every other process; logs each one whose exe it can read (and its fd 1), unless it is the container's busybox. */
const WATCH = `
: > /tmp/seen
# Only a readable exe counts: a helper that is reachable (dumpable) shows its exe and its fds alike,
# while the exec'd program caught between two readlinks (exe not yet readable, then exited) shows
# only its own stdout, the caller's pipe, for ours and runc alike.
while :; do
  for d in /proc/[0-9]*; do
    case $d in /proc/1) continue;; esac
    e=$(readlink $d/exe 2>/dev/null) || e=
    f=$(readlink $d/fd/1 2>/dev/null) || f=
    # read again: a process that exec'd the program in between is the program's (as with runc)
    a=$(readlink $d/exe 2>/dev/null) || a=
    if [ -n "$e" ] && [ "$e" != /bin/busybox ] && [ "$a" != /bin/busybox ]; then echo "$d exe=$e fd1=$f" >> /tmp/seen; fi
    if [ "$e" = /bin/busybox ] && grep -q 7.77 $d/cmdline 2>/dev/null; then echo marker >> /tmp/marker; fi
  done
done`;

/** Catches the first process whose exe is not busybox, holds it open, and rewrites it after that process exec'd. */
const CATCH = `
while :; do
  for d in /proc/[0-9]*; do
    case $d in /proc/1) continue;; esac
    e=$(readlink $d/exe 2>/dev/null) || continue
    [ "$e" = /bin/busybox ] && continue
    # a failed redirection ends this shell: the caller starts another
    exec 3< $d/exe
    echo "caught $d $e" >> /tmp/probe
    break 2
  done
done
i=0
while [ $i -lt 200 ]; do
  if echo TSLABT-MARK 2>/tmp/err >> /proc/self/fd/3; then echo wrote >> /tmp/probe; break; fi
  grep -q 'busy' /tmp/err || break
  i=$((i+1)); sleep 0.05
done
cat /tmp/err >> /tmp/probe; echo done >> /tmp/probe`;
const REWRITE = 'while ! sh /catch.sh 2>/dev/null; do :; done; exec sleep 1000';

interface Container {
  root: string;
  id: string;
  bundle: TestBundle;
}

async function start(rt: string, label: string, script: string, caps: string[] = [], runner: string[] = []): Promise<Container> {
  const id = uniqueId(`sec-${label}`);
  const root = mkdtempSync(join(tmpdir(), 'tslabt-sec-state-'));
  const bundle = makeBundle(['sh', '-c', script], (spec) => {
    spec.root!.readonly = false;
    const c = spec.process!.capabilities!;
    for (const set of [c.bounding, c.effective, c.permitted]) set?.push(...caps);
  }, id);
  writeFileSync(join(bundle.dir, 'rootfs/catch.sh'), CATCH);
  cleanups.push(() => {
    rmSync(root, { recursive: true, force: true });
    bundle.cleanup();
  });
  cleanups.push(async () => void await run(runner[0] ?? rt, [...runner.slice(1), ...(runner.length ? [rt] : []), '--root', root, 'delete', '--force', id]));
  const argv = [...runner.slice(1), ...(runner.length ? [rt] : []), '--root', root, 'run', '--detach', '--bundle', bundle.dir, id];
  const r = await run(runner[0] ?? rt, argv);
  expect(r.code, r.stderr).toBe(0);
  return { root, id, bundle };
}

const inRootfs = (c: Container, path: string): string => {
  try {
    return readFileSync(join(c.bundle.dir, 'rootfs', path), 'utf8');
  } catch {
    return '';
  }
};

describe.skipIf(!isRoot || !runc)('the exec helper is not reachable from inside the container (ours and runc; needs root and runc)', { timeout: 120_000 }, () => {
  it.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s: a default container sees neither exe nor fds of the runtime during exec', async (name, rt) => {
    const c = await start(rt, name === 'ours' ? 'po' : 'pr', WATCH);
    await waitFor('the probe to start', () => existsSync(join(c.bundle.dir, 'rootfs/tmp/seen')) || undefined);
    // until the probe has seen an exec'd program at least once: it was looking while the helper ran
    await waitFor('the probe to see an exec\'d process', async () => {
      const r = await run(rt, ['--root', c.root, 'exec', c.id, 'sleep', '7.77']);
      expect(r.code, r.stderr).toBe(0);
      return inRootfs(c, 'tmp/marker').includes('marker') || undefined;
    }, 90_000);
    for (let i = 0; i < 3; i++) expect((await run(rt, ['--root', c.root, 'exec', c.id, 'true'])).code).toBe(0);
    expect(inRootfs(c, 'tmp/seen')).toBe('');
  });

  it.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s: with CAP_SYS_PTRACE the exe it opens cannot be rewritten after the helper exec\'d', async (name, rt) => {
    // a throwaway copy of the runtime's binary that nothing else runs, so only our exec holds it busy
    const dir = mkdtempSync(join(tmpdir(), 'tslabt-sec-bin-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const binary = join(dir, name === 'ours' ? 'node' : 'runc');
    copyFileSync(name === 'ours' ? process.execPath : rt, binary);
    const runner = name === 'ours' ? [binary] : [];
    const rtPath = name === 'ours' ? rt : binary;
    const size = statSync(binary).size;
    const c = await start(rtPath, name === 'ours' ? 'wo' : 'wr', REWRITE, ['CAP_SYS_PTRACE'], runner);
    const exec = (args: string[]): ReturnType<typeof run> =>
      run(runner[0] ?? rtPath, [...(runner.length ? [rtPath] : []), '--root', c.root, 'exec', ...args]);
    await waitFor('the probe to catch the helper', async () => {
      const r = await exec(['--detach', c.id, 'sleep', '5']);
      expect(r.code, r.stderr).toBe(0);
      return inRootfs(c, 'tmp/probe').includes('caught') || undefined;
    }, 90_000);
    const report = await waitFor('the probe to try the rewrite', () => (inRootfs(c, 'tmp/probe').includes('done') ? inRootfs(c, 'tmp/probe') : undefined),
      30_000);
    expect(report, report).not.toContain('wrote');
    console.log(name, report);
    expect(readFileSync(binary).includes('TSLABT-MARK')).toBe(false);
    expect(statSync(binary).size).toBe(size);
  });
});
