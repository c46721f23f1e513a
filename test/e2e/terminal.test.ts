// A foreground run with process.terminal gets a real pty of the caller's size, driven in tmux: made in
// the container's own devpts (ttyname() finds /dev/pts/0 inside), with keys relayed both ways.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../helpers/bundle.js';
import { run, TSLAB_RUNTIME, waitFor } from '../helpers/runtimes.js';

describe('tslab-runtime run with process.terminal', () => {
  it('gives the container a terminal of the window size and relays keys', async () => {
    const id = uniqueId('pty');
    const session = uniqueId('tmux');
    const root = mkdtempSync(join(tmpdir(), 'tslabt-state-'));
    const out = join(root, 'exit');
    const b = makeBundle(['sh', '-c', 'tty; stty size; read line; echo "got:$line"; [ -t 0 ] && echo tty0'], (s) => { s.process!.terminal = true; }, id);
    try {
      const cmd = `${process.execPath} ${TSLAB_RUNTIME} --root ${root} run --bundle ${b.dir} ${id}; echo $? > ${out}; sleep 60`;
      expect((await run('tmux', ['new-session', '-d', '-s', session, '-x', '90', '-y', '25', cmd])).code).toBe(0);
      const screen = async (): Promise<string> => (await run('tmux', ['capture-pane', '-p', '-t', session])).stdout;
      await waitFor('stty output', async () => ((await screen()).includes('25 90') ? true : undefined), 20_000);
      await run('tmux', ['send-keys', '-t', session, 'hello', 'Enter']);
      await waitFor('exit status', () => {
        try {
          return readFileSync(out, 'utf8').trim() || undefined;
        } catch {
          return undefined;
        }
      }, 20_000);
      expect(readFileSync(out, 'utf8').trim()).toBe('0');
      const shown = await screen();
      expect(shown).toMatch(/^\/dev\/pts\/0$/m);
      expect(shown).toContain('got:hello');
      expect(shown).toContain('tty0');
    } finally {
      await run('tmux', ['kill-session', '-t', session]);
      await run(TSLAB_RUNTIME, ['--root', root, 'delete', '--force', id]);
      b.cleanup();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
