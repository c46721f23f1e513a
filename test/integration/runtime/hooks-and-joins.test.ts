// Hooks receive the state on stdin at the right moments; namespaces given by path are joined; the
// cgroup namespace hides the host's cgroup path; oomScoreAdj is applied. runc is the oracle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../../helpers/bundle.js';
import { run, runcPath, TSLAB_RUNTIME } from '../../helpers/runtimes.js';

let stateRoot: string;
beforeAll(() => { stateRoot = mkdtempSync(join(tmpdir(), 'tslabt-state-')); });
afterAll(() => rmSync(stateRoot, { recursive: true, force: true }));

describe.each([['tslab', TSLAB_RUNTIME], ['runc', runcPath()!]])('%s', (name, path) => {
  const root = (): string => join(stateRoot, name);

  it('runs every hook kind with the state on stdin', async () => {
    const id = uniqueId(`${name}-hooks`);
    const dir = mkdtempSync(join(tmpdir(), 'tslabt-hooks-'));
    chmodSync(dir, 0o777);
    const hook = join(dir, 'hook.sh');
    // The hook records its kind and the state's id/status; /bin/sh from the host (or the container
    // for createContainer/startContainer, which run in the container's mount namespace).
    writeFileSync(hook, '#!/bin/sh\nread state\necho "$1 $state" >> "$2"\n');
    chmodSync(hook, 0o755);
    const kinds = ['createRuntime', 'poststart', 'poststop'] as const;
    const b = makeBundle(['true'], (s) => {
      s.hooks = Object.fromEntries(kinds.map((k) => [k, [{ path: hook, args: ['hook.sh', k, join(dir, 'log')] }]]));
    }, id);
    try {
      const r = await run(path, ['--root', root(), 'run', '--bundle', b.dir, id]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');
      expect(lines.map((l) => l.split(' ')[0])).toEqual(['createRuntime', 'poststart', 'poststop']);
      for (const line of lines) {
        const state = JSON.parse(line.slice(line.indexOf(' ') + 1));
        expect(state.id).toBe(id);
        expect(state.bundle).toBe(b.dir);
      }
    } finally {
      await run(path, ['--root', root(), 'delete', '--force', id]);
      b.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failing createRuntime hook fails the create and leaves nothing', async () => {
    const id = uniqueId(`${name}-badhook`);
    const b = makeBundle(['true'], (s) => { s.hooks = { createRuntime: [{ path: '/bin/false' }] }; }, id);
    try {
      const r = await run(path, ['--root', root(), 'run', '--bundle', b.dir, id]);
      expect(r.code).not.toBe(0);
      expect(existsSync(join(root(), id))).toBe(false);
    } finally {
      await run(path, ['--root', root(), 'delete', '--force', id]);
      b.cleanup();
    }
  });

  it('joins a network namespace given by path', async () => {
    const netns = uniqueId('ns').slice(0, 40);
    expect((await run('ip', ['netns', 'add', netns])).code).toBe(0);
    const id = uniqueId(`${name}-join`);
    try {
      // a veth pair made inside the namespace: its two ends are how we recognise it
      expect((await run('ip', ['-n', netns, 'link', 'add', 'tslabtv0', 'type', 'veth', 'peer', 'name', 'tslabtv1'])).code).toBe(0);
      const b = makeBundle(['ls', '/sys/class/net'], (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: `/var/run/netns/${netns}` } : n));
      }, id);
      try {
        const r = await run(path, ['--root', root(), 'run', '--bundle', b.dir, id]);
        expect(r.stdout.trim().split(/\s+/).sort()).toEqual(['lo', 'tslabtv0', 'tslabtv1']);
      } finally {
        await run(path, ['--root', root(), 'delete', '--force', id]);
        b.cleanup();
      }
    } finally {
      await run('ip', ['netns', 'del', netns]);
    }
  });

  it('joins a user namespace and a pid namespace given by path (those of another container)', async () => {
    const first = uniqueId(`${name}-uns`);
    const second = uniqueId(`${name}-uj`);
    const a = makeBundle(['sleep', '300'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    }, first);
    try {
      expect((await run(path, ['--root', root(), 'run', '--detach', '--bundle', a.dir, first])).code).toBe(0);
      const pidA = (JSON.parse((await run(path, ['--root', root(), 'state', first])).stdout) as { pid: number }).pid;
      const b = makeBundle(['sh', '-c', 'id -u; cat /proc/self/uid_map; cat /proc/1/cmdline'], (s) => {
        s.linux!.namespaces = [
          ...s.linux!.namespaces!.filter((n) => n.type !== 'pid'),
          { type: 'user', path: `/proc/${pidA}/ns/user` }, { type: 'pid', path: `/proc/${pidA}/ns/pid` },
        ];
        // the user namespace's maps are the other container's; runc insists on a copy of them
        s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      }, second);
      try {
        const r = await run(path, ['--root', root(), 'run', '--bundle', b.dir, second]);
        expect(r.code, r.stderr).toBe(0);
        const lines = r.stdout.split('\n');
        expect(lines[0]).toBe('0');
        expect(lines[1]!.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
        expect(lines[2]).toMatch(/^sleep\x00300/); // PID 1 of the joined pid namespace is the first container's
      } finally {
        await run(path, ['--root', root(), 'delete', '--force', second]);
        b.cleanup();
      }
    } finally {
      await run(path, ['--root', root(), 'delete', '--force', first]);
      a.cleanup();
    }
  });

  it('sees its own cgroup as / in a cgroup namespace', async () => {
    const id = uniqueId(`${name}-cgns`);
    const b = makeBundle(['cat', '/proc/self/cgroup'], undefined, id);
    try {
      const r = await run(path, ['--root', root(), 'run', '--bundle', b.dir, id]);
      const paths = r.stdout.trim().split('\n').map((l) => l.split(':')[2]);
      expect(paths.length).toBeGreaterThan(0);
      expect(paths.filter((p) => p !== '/' && !p!.startsWith('/..'))).toEqual([]);
      expect(r.stdout).not.toContain(id);
    } finally {
      await run(path, ['--root', root(), 'delete', '--force', id]);
      b.cleanup();
    }
  });

  it('applies oomScoreAdj', async () => {
    const id = uniqueId(`${name}-oom`);
    const b = makeBundle(['cat', '/proc/self/oom_score_adj'], (s) => { s.process!.oomScoreAdj = 123; }, id);
    try {
      const r = await run(path, ['--root', root(), 'run', '--bundle', b.dir, id]);
      expect(r.stdout.trim()).toBe('123');
    } finally {
      await run(path, ['--root', root(), 'delete', '--force', id]);
      b.cleanup();
    }
  });
});
