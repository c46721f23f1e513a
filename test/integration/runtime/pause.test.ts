// pause/resume through the freezer (v1) or cgroup.freeze (v2): a frozen container makes no progress.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, TSLAB_RUNTIME, waitFor } from '../../helpers/runtimes.js';

describe('tslab-runtime pause and resume', () => {
  it('freezes every process and thaws them', async () => {
    const id = uniqueId('pause');
    const root = mkdtempSync(join(tmpdir(), 'tslabt-state-'));
    const b = makeBundle(['sh', '-c', 'while true; do sleep 0.05; done'], undefined, id);
    const rt = (...args: string[]) => run(TSLAB_RUNTIME, ['--root', root, ...args]);
    try {
      const started = await rt('run', '--detach', '--bundle', b.dir, id);
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      const pid = JSON.parse((await rt('state', id)).stdout).pid as number;
      expect((await rt('pause', id)).code).toBe(0);
      expect(JSON.parse((await rt('state', id)).stdout).status).toBe('paused');
      // a frozen task sleeps in the freezer: state D or S, and its utime stops moving
      const utime = (): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[11]);
      const before = utime();
      const children = (): string => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
      const frozenChildren = children();
      await new Promise((r) => setTimeout(r, 300)); // observe that nothing changes while frozen
      expect(children()).toBe(frozenChildren);
      expect(utime()).toBe(before);
      expect((await rt('resume', id)).code).toBe(0);
      expect(JSON.parse((await rt('state', id)).stdout).status).toBe('running');
      await waitFor('a new sleep child after resume', () => (children() !== frozenChildren ? true : undefined));
    } finally {
      await rt('delete', '--force', id);
      b.cleanup();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
