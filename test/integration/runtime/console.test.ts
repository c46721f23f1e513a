// --console-socket with process.terminal, as engines use it (ours and runc side by side; runc is the
// oracle): the engine's socket receives the pty master, the container's stdio is a terminal that
// ttyname() finds inside (/dev/pts/0 of its own devpts), consoleSize applies, and keys typed into
// the master reach the program.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';

const isRoot = process.getuid?.() === 0;
const runc = runcPath();
const hasPython = spawnSync('python3', ['--version']).status === 0;
const RECEIVER = fileURLToPath(new URL('../../fixtures/console-receiver.py', import.meta.url));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function terminalBundle(id: string, terminal = true): ReturnType<typeof makeBundle> {
  const b = makeBundle(['sh', '-c', '[ -t 0 ] && echo stdin-is-a-tty; tty; exec sh'], (spec) => {
    spec.process!.terminal = terminal;
    spec.process!.consoleSize = { height: 33, width: 101 };
  }, id);
  cleanups.push(() => b.cleanup());
  return b;
}

/** The engine's side of the console socket (fixtures/console-receiver.py), listening; it types `keys`. */
async function listenForConsole(socket: string, keys: string): Promise<{ out: () => string; finished: Promise<void> }> {
  const receiver = spawn('python3', [RECEIVER, socket, keys], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => void receiver.kill('SIGKILL'));
  let out = '';
  receiver.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  receiver.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const finished = new Promise<void>((resolve) => receiver.on('close', () => resolve()));
  await waitFor('the receiver to listen', () => (out.includes('listening') && existsSync(socket) ? true : undefined));
  return { out: () => out, finished };
}

describe.skipIf(!isRoot || !runc || !hasPython)('--console-socket (ours and runc; needs root, runc and python3)', { timeout: 60_000 }, () => {
  it.each([['ours', TSLAB_RUNTIME], ['runc', runc ?? '']])('%s: the engine gets a terminal of the container\'s own devpts', async (name, rt) => {
    const id = uniqueId(`console-${name}`);
    const root = mkdtempSync(join(tmpdir(), 'tslabt-console-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    cleanups.push(async () => { await run(rt, ['--root', root, 'delete', '--force', id]); });
    const bundle = terminalBundle(id);
    const socket = join(root, 'console.sock');
    const receiver = await listenForConsole(socket, 'echo typed-$((6*7)); stty size\nexit 3\n');

    const created = await run(rt, ['--root', root, 'create', '--console-socket', socket, '--bundle', bundle.dir, id]);
    expect(created.code, created.stderr).toBe(0);
    expect((await run(rt, ['--root', root, 'start', id])).code).toBe(0);
    await receiver.finished;
    const out = receiver.out();
    expect(out).toContain('received 1 fd(s)');
    expect(out).toContain('stdin-is-a-tty');
    expect(out).toMatch(/\/dev\/pts\/0\r?\n/);
    expect(out).toContain('typed-42');
    expect(out).toContain('33 101');
    await waitFor('the container to stop', async () => (JSON.parse((await run(rt, ['--root', root, 'state', id])).stdout || '{}').status === 'stopped' ? true : undefined));
  });

  // exec as engines call it: containerd's shim with a process file ("terminal": true), podman with --tty
  it.each([
    ['ours', 'process-file', TSLAB_RUNTIME], ['runc', 'process-file', runc ?? ''], ['ours', 'tty-flag', TSLAB_RUNTIME], ['runc', 'tty-flag', runc ?? ''],
  ])('%s: exec --console-socket --detach --pid-file (%s) hands over a pty of the container', async (name, style, rt) => {
    const id = uniqueId(`console-exec-${name}`);
    const root = mkdtempSync(join(tmpdir(), 'tslabt-console-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    cleanups.push(async () => { await run(rt, ['--root', root, 'delete', '--force', id]); });
    const bundle = makeBundle(['sleep', '600'], undefined, id);
    cleanups.push(() => bundle.cleanup());
    expect((await run(rt, ['--root', root, 'run', '--detach', '--bundle', bundle.dir, id])).code).toBe(0);
    const socket = join(root, 'exec-console.sock');
    const receiver = await listenForConsole(socket, 'echo typed-$((6*7))\nexit 3\n');
    const program = ['sh', '-c', '[ -t 0 ] && echo exec-stdin-is-a-tty; tty; exec sh'];
    const pidFile = join(root, 'exec.pid');
    let how: string[];
    if (style === 'process-file') {
      const processFile = join(root, 'process.json');
      writeFileSync(processFile, JSON.stringify({ terminal: true, user: { uid: 0, gid: 0 }, args: program, env: ['PATH=/bin'], cwd: '/' }));
      how = ['--process', processFile];
    } else {
      how = ['--tty'];
    }
    const exec = await run(rt, ['--root', root, 'exec', '--console-socket', socket, '--detach', '--pid-file', pidFile, ...how, id, ...(style === 'process-file' ? [] : program)]);
    expect(exec.stderr).toBe('');
    expect(exec.code).toBe(0);
    expect(readFileSync(pidFile, 'utf8')).toMatch(/^\d+$/);
    await receiver.finished;
    const out = receiver.out();
    expect(out).toContain('received 1 fd(s)');
    expect(out).toContain('exec-stdin-is-a-tty');
    expect(out).toMatch(/\/dev\/pts\/\d+\r?\n/);
    expect(out).toContain('typed-42');
  });

  it('ours: exec --console-socket without a terminal is one clear line', async () => {
    const id = uniqueId('console-exec-notty');
    const root = mkdtempSync(join(tmpdir(), 'tslabt-console-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    cleanups.push(async () => { await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]); });
    const bundle = makeBundle(['sleep', '600'], undefined, id);
    cleanups.push(() => bundle.cleanup());
    expect((await run(TSLAB_RUNTIME, ['--root', root, 'run', '--detach', '--bundle', bundle.dir, id])).code).toBe(0);
    const r = await run(TSLAB_RUNTIME, ['--root', root, 'exec', '--console-socket', join(root, 'x.sock'), id, 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--console-socket is for a process with a terminal');
  });

  it('ours: the socket without a terminal, or a terminal without the socket, is one clear line and leaves nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tslabt-console-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const plainId = uniqueId('console-plain');
    const plain = terminalBundle(plainId, false);
    const a = await run(TSLAB_RUNTIME, ['--root', root, 'create', '--console-socket', join(root, 'nobody.sock'), '--bundle', plain.dir, plainId]);
    expect(a.code).not.toBe(0);
    expect(a.stderr.trim().split('\n')).toHaveLength(1);
    expect(a.stderr).toContain('--console-socket is for a container with a terminal');
    const ttyId = uniqueId('console-tty');
    const tty = terminalBundle(ttyId);
    const b = await run(TSLAB_RUNTIME, ['--root', root, 'create', '--bundle', tty.dir, ttyId]);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain('needs --console-socket');
    // nobody listening: the connect fails, named, and the create leaves nothing
    const c = await run(TSLAB_RUNTIME, ['--root', root, 'create', '--console-socket', join(root, 'nobody.sock'), '--bundle', tty.dir, ttyId]);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/--console-socket .*nobody\.sock: cannot connect \(ENOENT\)/);
    expect(existsSync(join(root, ttyId))).toBe(false);
    expect(existsSync(join(root, plainId))).toBe(false);
  });
});
