// tslab info, tslab version (docker's layout) and tslab search against a real docker-registry on
// loopback, with images pushed by tslab itself.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { startRegistry, tempDataRoot, tslab, type Registry } from '../integration/image/registry.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dataRoot(): ReturnType<typeof tempDataRoot> {
  const d = tempDataRoot();
  cleanups.push(async () => {
    const ids = (await tslab(['container', 'ps', '-aq', '--no-trunc'], d.env)).stdout.trim().split('\n').filter(Boolean);
    if (ids.length) await tslab(['container', 'rm', '-f', ...ids], d.env);
    d.cleanup();
  });
  return d;
}

describe('tslab version and info', () => {
  it('version prints Client and Server sections with the runtime\'s version', async () => {
    const d = dataRoot();
    const r = await tslab(['version'], d.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Client:\n Version:\s+\d+\.\d+\.\d+\n Node version:\s+v\d+/);
    expect(r.stdout).toMatch(/\nServer:\n Engine:\n  Version:\s+\d+\.\d+\.\d+\n/);
    expect(r.stdout).toMatch(/\n tslab-runtime:\n  Version:\s+\d+\.\d+\.\d+\n/);
    writeConfig(d.dir, { runtime: '/usr/sbin/runc' });
    const runc = await tslab(['version'], d.env);
    expect(runc.stdout).toMatch(/\n runc:\n  Version:\s+1\.\d+\.\d+/);
  });

  it('info counts containers and images and names the kernel, cgroup version, runtime and registries', async () => {
    const d = dataRoot();
    writeConfig(d.dir, { insecureRegistries: ['tslabt-reg.example:5000'] });
    expect((await tslab(['container', 'create', '--name', 'tslabt-info', '--network', 'none', 'busybox', 'true'], d.env)).code).toBe(0);
    const r = await tslab(['info'], d.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\n Containers: 1\n  Running: 0\n  Paused: 0\n  Stopped: 1\n Images: 1\n/);
    expect(r.stdout).toContain(` Kernel Version: ${release()}\n`);
    const v2 = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => / \/sys\/fs\/cgroup .* - cgroup2 /.test(l));
    expect(r.stdout).toContain(` Cgroup Version: ${v2 ? 2 : 1}\n`);
    expect(r.stdout).toMatch(/ Default Runtime: tslab-runtime \(tslab-runtime version [\d.]+\)\n/);
    expect(r.stdout).toContain(` Data Root: ${d.dir}\n`);
    expect(r.stdout).toMatch(/ Insecure Registries:\n  127\.0\.0\.0\/8 \(loopback\)\n  tslabt-reg\.example:5000\n/);
  });
});

function writeConfig(dir: string, config: Record<string, unknown>): void {
  // the data root's own config file (TSLAB_CONFIG points at it)
  writeFileSync(`${dir}/config.json`, JSON.stringify(config));
}

describe('tslab search', () => {
  let registry: Registry;
  it('finds repositories in a registry\'s catalog by a part of their name', async () => {
    registry = await startRegistry();
    cleanups.push(() => registry.stop());
    const d = dataRoot();
    expect((await tslab(['image', 'build-busybox'], d.env)).code).toBe(0);
    for (const name of ['tslabt/alpha-tools', 'tslabt/beta', 'other/alpha']) {
      const p = await tslab(['image', 'push', '-q', 'busybox', `${registry.host}/${name}:1`], d.env);
      expect(p.code, p.stderr).toBe(0);
    }
    const r = await tslab(['search', '--registry', registry.host, 'alpha'], d.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0])).toEqual(['other/alpha', 'tslabt/alpha-tools']);
    const none = await tslab(['search', '--registry', registry.host, 'nothing-like-this'], d.env);
    expect(none.stdout.trim()).toMatch(/^NAME\s+REGISTRY$/);
    const bad = await tslab(['search', '--registry', 'not a host', 'x'], d.env);
    expect(bad.stderr).toBe('tslab: --registry "not a host": give a host[:port], e.g. localhost:5000\n');
  });
});
