// Bad input: one clear line naming what was wrong, a non-zero exit, nothing left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, uniqueId } from '../helpers/bundle.js';
import { run, TSLAB_RUNTIME } from '../helpers/runtimes.js';

let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'tslabt-state-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rt = (...args: string[]) => run(TSLAB_RUNTIME, ['--root', root, ...args]);

function expectOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

describe('tslab-runtime refuses bad input clearly', () => {
  it('missing bundle', async () => {
    expectOneLineError(await rt('create', '--bundle', '/nonexistent/tslabt-nothing', uniqueId('nb')), /bundle .*does not exist/);
  });

  it('unknown container', async () => {
    expectOneLineError(await rt('state', uniqueId('unknown')), /does not exist/);
    expectOneLineError(await rt('start', uniqueId('unknown')), /does not exist/);
    expectOneLineError(await rt('kill', uniqueId('unknown'), 'KILL'), /does not exist/);
  });

  it('unknown namespace type, naming the field', async () => {
    const id = uniqueId('ns');
    const b = makeBundle(['true'], (s) => { s.linux!.namespaces!.push({ type: 'bogus' }); }, id);
    try {
      expectOneLineError(await rt('run', '--bundle', b.dir, id), /linux\.namespaces\[\d\]\.type: unknown namespace type "bogus"/);
      expect(existsSync(join(root, id))).toBe(false);
    } finally {
      b.cleanup();
    }
  });

  it('malformed config.json names the bad field', async () => {
    const id = uniqueId('bad');
    const b = makeBundle(['true'], undefined, id);
    try {
      writeFileSync(join(b.dir, 'config.json'), JSON.stringify({ ...b.spec, process: { ...b.spec.process, cwd: 'relative' } }));
      expectOneLineError(await rt('run', '--bundle', b.dir, id), /process\.cwd/);
      writeFileSync(join(b.dir, 'config.json'), JSON.stringify({ ...b.spec, linux: { ...b.spec.linux, resources: { memory: { limit: 'lots' } } } }));
      expectOneLineError(await rt('run', '--bundle', b.dir, id), /linux\.resources\.memory\.limit/);
      writeFileSync(join(b.dir, 'config.json'), '{ not json');
      expectOneLineError(await rt('run', '--bundle', b.dir, id), /not valid JSON/);
    } finally {
      b.cleanup();
    }
  });

  it('a seccomp action tslab cannot honour is refused, never silently ignored', async () => {
    const id = uniqueId('sec');
    const b = makeBundle(['true'], (s) => {
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
    }, id);
    try {
      expectOneLineError(await rt('run', '--bundle', b.dir, id), /linux\.seccomp\.syscalls\[0\]\.action/);
    } finally {
      b.cleanup();
    }
  });

  it('a resource limit tslab cannot apply is refused', async () => {
    const id = uniqueId('blkio');
    const b = makeBundle(['true'], (s) => { s.linux!.resources = { blockIO: { weight: 100 } }; }, id);
    try {
      expectOneLineError(await rt('run', '--bundle', b.dir, id), /linux\.resources\.blockIO/);
    } finally {
      b.cleanup();
    }
  });

  it('a created container is not deleted without --force', async () => {
    const id = uniqueId('created');
    const b = makeBundle(['true'], undefined, id);
    try {
      expect((await rt('create', '--bundle', b.dir, id)).code).toBe(0);
      expectOneLineError(await rt('delete', id), /not stopped: container created/);
      expect((await rt('delete', '--force', id)).code).toBe(0);
    } finally {
      await rt('delete', '--force', id);
      b.cleanup();
    }
  });

  it('duplicate id, leaving the first container alone', async () => {
    const id = uniqueId('dup');
    const b = makeBundle(['sleep', '30'], undefined, id);
    try {
      expect((await rt('create', '--bundle', b.dir, id)).code).toBe(0);
      expectOneLineError(await rt('create', '--bundle', b.dir, id), /already exists/);
      expect(JSON.parse((await rt('state', id)).stdout).status).toBe('created');
    } finally {
      await rt('delete', '--force', id);
      b.cleanup();
    }
  });

  it('a program that does not exist: exit 127-ish failure, nothing left', async () => {
    const id = uniqueId('noexec');
    const b = makeBundle(['/bin/tslabt-no-such-program'], undefined, id);
    try {
      const r = await rt('run', '--bundle', b.dir, id);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/no-such-program|ENOENT/);
      expect(readdirSync(root).includes(id)).toBe(false);
    } finally {
      await rt('delete', '--force', id);
      b.cleanup();
    }
  });

  it('delete --force clears the bare folder a killed create left, so the id works again', async () => {
    const id = uniqueId('half');
    const b = makeBundle(['true'], undefined, id);
    try {
      mkdirSync(join(root, id));
      expect((await rt('delete', '--force', id)).code).toBe(0);
      expect(existsSync(join(root, id))).toBe(false);
      expect((await rt('run', '--bundle', b.dir, id)).code).toBe(0);
    } finally {
      await rt('delete', '--force', id);
      b.cleanup();
    }
  });

  it('a create killed (SIGKILL) after it made the cgroup: delete --force removes the cgroup and the state', async () => {
    const id = uniqueId('killed');
    const b = makeBundle(['true'], undefined, id);
    // held at the stepping gate (as the TUI holds it), one step let through at a time until the cgroup exists
    const child = spawn(process.execPath, [TSLAB_RUNTIME, '--root', root, 'create', '--bundle', b.dir, id], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: { ...process.env, TSLAB_CONTROL_FD: '3' },
    });
    const gate = child.stdio[3] as Writable;
    gate.on('error', () => {});
    const cgroupDir = readdirSync('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c, id)).find((d) => d.includes('/memory/') || d.includes('/pids/'))!;
    try {
      const deadline = Date.now() + 20_000;
      while (!existsSync(cgroupDir)) {
        if (Date.now() > deadline) throw new Error(`no cgroup ${cgroupDir} within 20 s`);
        gate.write('g');
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      expect((await rt('delete', '--force', id)).code).toBe(0);
      expect(existsSync(join(root, id))).toBe(false);
      expect(readdirSync('/sys/fs/cgroup').filter((c) => existsSync(join('/sys/fs/cgroup', c, id)))).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      gate.destroy();
      await rt('delete', '--force', id);
      b.cleanup();
    }
  });

  it('not root', async () => {
    const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, TSLAB_RUNTIME,
      '--root', join(tmpdir(), uniqueId('nr')), 'create', '--bundle', '/tmp', uniqueId('nr')]);
    expectOneLineError(r, /needs root/);
  });

  it('a wrong flag', async () => {
    const r = await rt('create', '--no-such-flag', uniqueId('flag'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
  });
});
