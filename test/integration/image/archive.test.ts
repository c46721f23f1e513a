// load / save / import round trips with skopeo's archives, zstd layers, overlay-style unpack
// details, and garbage collection after image rm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer } from '../../../src/image/unpack.js';
import { skopeo, startRegistry, tempDataRoot, tslab, type Registry } from './registry.js';
import { tarBuffer, dir, file, link, symlink } from '../../unit/image/tarfixture.js';

let fixture: ReturnType<typeof tempDataRoot>;
let work: string;
let registry: Registry;
const BUSYBOX = 'docker.io/library/busybox:latest';

beforeAll(async () => {
  fixture = tempDataRoot();
  work = mkdtempSync(join(tmpdir(), 'tslabt-archive-'));
  const built = await tslab(['image', 'build-busybox'], fixture.env);
  expect(built.code, built.stderr).toBe(0);
  registry = await startRegistry();
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  fixture?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

const snapshotsOf = (root: string): string[] => readdirSync(join(root, 'snapshots')).filter((n) => /^[a-f0-9]{64}$/.test(n));

describe('image archives', () => {
  it('loads what skopeo writes as docker-archive and oci-archive', async () => {
    const d = tempDataRoot();
    try {
      skopeo(['copy', `oci:${fixture.dir}/oci:${BUSYBOX}`, `docker-archive:${work}/d.tar:tslabt/docker-arch:v1`]);
      skopeo(['copy', `oci:${fixture.dir}/oci:${BUSYBOX}`, `oci-archive:${work}/o.tar:localhost/tslabt/oci-arch:v1`]);
      const a = await tslab(['image', 'load', '-i', `${work}/d.tar`], d.env);
      expect(a.code, a.stderr).toBe(0);
      expect(a.stdout).toBe('Loaded image: docker.io/tslabt/docker-arch:v1\n');
      const b = await tslab(['image', 'load'], d.env, readFileSync(`${work}/o.tar`));
      expect(b.code, b.stderr).toBe(0);
      expect(b.stdout).toBe('Loaded image: localhost/tslabt/oci-arch:v1\n');
      const run = await tslab(['container', 'run', '--rm', '--network', 'none', '--runtime', '/usr/sbin/runc', 'tslabt/docker-arch:v1', 'sh', '-c', 'echo loaded'], d.env);
      expect(run.stdout, run.stderr).toBe('loaded\n');
    } finally {
      d.cleanup();
    }
  });

  it('saves an archive that skopeo reads both as oci-archive and docker-archive, and loads it back', async () => {
    const d = tempDataRoot();
    try {
      const out = `${work}/saved.tar`;
      const s = await tslab(['image', 'save', '-o', out, 'busybox'], fixture.env);
      expect(s.code, s.stderr).toBe(0);
      const oci = JSON.parse(skopeo(['inspect', `oci-archive:${out}:${BUSYBOX}`])) as { Layers: string[] };
      expect(oci.Layers).toHaveLength(1);
      const docker = JSON.parse(skopeo(['inspect', `docker-archive:${out}`])) as { Layers: string[] };
      expect(docker.Layers).toHaveLength(1);
      const l = await tslab(['image', 'load', '-i', out], d.env);
      expect(l.stdout, l.stderr).toBe(`Loaded image: ${BUSYBOX}\n`);
    } finally {
      d.cleanup();
    }
  });

  it('imports a root filesystem tarball as a one-layer image', async () => {
    const d = tempDataRoot();
    try {
      const rootfs = join(work, 'rootfs');
      mkdirSync(join(rootfs, 'bin'), { recursive: true });
      execFileSync('cp', ['/bin/busybox', join(rootfs, 'bin/busybox')]);
      execFileSync('ln', ['-s', 'busybox', join(rootfs, 'bin/sh')]);
      writeFileSync(join(rootfs, 'hello'), 'imported\n');
      execFileSync('sh', ['-c', `tar -C ${rootfs} -czf ${work}/rootfs.tgz .`]);
      const r = await tslab(['image', 'import', `${work}/rootfs.tgz`, 'tslabt/imported:v1'], d.env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^sha256:[a-f0-9]{64}\n$/);
      const run = await tslab(['container', 'run', '--rm', '--network', 'none', '--runtime', '/usr/sbin/runc', 'tslabt/imported:v1', '/bin/sh', '-c', 'cat /hello'], d.env);
      expect(run.stdout, run.stderr).toBe('imported\n');
      const bad = await tslab(['image', 'import', '-', 'tslabt/x:v1'], d.env, 'not a tar at all');
      expect(bad.code).not.toBe(0);
      expect(bad.stderr.trim()).toBe('tslab: the input is not a tar archive (no ustar header)');
    } finally {
      d.cleanup();
    }
  });

  it('pulls zstd layers', async () => {
    const d = tempDataRoot();
    try {
      skopeo(['copy', '--dest-tls-verify=false', '--dest-compress-format', 'zstd', '--dest-compress', `oci:${fixture.dir}/oci:${BUSYBOX}`, `docker://${registry.host}/tslabt/zstd:v1`]);
      const raw = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/tslabt/zstd:v1`])) as { layers: { mediaType: string }[] };
      expect(raw.layers[0]!.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
      const r = await tslab(['image', 'pull', `${registry.host}/tslabt/zstd:v1`], d.env);
      expect(r.code, r.stderr).toBe(0);
      const snap = snapshotsOf(d.dir);
      expect(snap).toHaveLength(1);
      expect(statSync(join(d.dir, 'snapshots', snap[0]!, 'fs/bin/busybox')).size).toBe(statSync('/bin/busybox').size);
    } finally {
      d.cleanup();
    }
  });

  it('image rm removes the tag, its blobs and its snapshots, but not what another image shares', async () => {
    const d = tempDataRoot();
    try {
      expect((await tslab(['image', 'build-busybox'], d.env)).code).toBe(0);
      expect((await tslab(['image', 'tag', 'busybox', 'tslabt/other:v1'], d.env)).code).toBe(0);
      const c = await tslab(['container', 'run', '--rm', '--network', 'none', '--runtime', '/usr/sbin/runc', 'busybox', 'true'], d.env);
      expect(c.code, c.stderr).toBe(0);
      expect(snapshotsOf(d.dir)).toHaveLength(1);
      const rm1 = await tslab(['image', 'rm', 'busybox'], d.env);
      expect(rm1.stdout).toBe(`Untagged: ${BUSYBOX}\n`);
      expect(snapshotsOf(d.dir)).toHaveLength(1);
      const rm2 = await tslab(['image', 'rm', 'tslabt/other:v1'], d.env);
      expect(rm2.stdout).toMatch(/Untagged: docker\.io\/tslabt\/other:v1\nDeleted: 3 blobs \([\d.]+ [kM]B\), 1 snapshots\n/);
      expect(snapshotsOf(d.dir)).toHaveLength(0);
      expect(readdirSync(join(d.dir, 'oci/blobs/sha256'))).toHaveLength(0);
      const missing = await tslab(['image', 'rm', 'busybox'], d.env);
      expect(missing.stderr.trim()).toMatch(/^tslab: no image "busybox" in the store/);
    } finally {
      d.cleanup();
    }
  });
});

describe('overlay-style unpack', () => {
  it('makes whiteouts, opaque directories, owners, modes, times, links and devices', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tslabt-overlay-'));
    try {
      const tar = await tarBuffer([
        dir('etc'), file('etc/.wh.gone', ''), dir('opaque'), file('opaque/.wh..wh..opq', ''), file('opaque/kept', 'k'),
        { kind: 'file', name: 'owned', content: 'x', mode: 0o4750, uid: 1234, gid: 5678 },
        symlink('owned', 'sym'), link('owned', 'hard'), { kind: 'char', name: 'null', major: 1, minor: 3 },
      ]);
      await applyLayer(Readable.from([tar]), root, { whiteouts: 'overlay' });
      const wh = lstatSync(join(root, 'etc/gone'));
      expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
      expect(execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'trusted.overlay.opaque', join(root, 'opaque')], { encoding: 'utf8' })).toBe('y');
      expect(readFileSync(join(root, 'opaque/kept'), 'utf8')).toBe('k');
      const owned = lstatSync(join(root, 'owned'));
      expect([owned.uid, owned.gid, owned.mode & 0o7777]).toEqual([1234, 5678, 0o4750]);
      expect(owned.mtime.toISOString()).toBe('2024-01-02T03:04:05.000Z');
      expect(lstatSync(join(root, 'sym')).isSymbolicLink()).toBe(true);
      expect(lstatSync(join(root, 'hard')).ino).toBe(owned.ino);
      const dev = lstatSync(join(root, 'null'));
      expect(dev.isCharacterDevice()).toBe(true);
      expect(dev.rdev).toBe((1 << 8) | 3);
      expect(existsSync(join(root, 'etc/.wh.gone'))).toBe(false);
      // an archive may not set overlayfs xattrs itself
      const evil = await tarBuffer([{ kind: 'file', name: 'f', content: '', pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } }]);
      await expect(applyLayer(Readable.from([evil]), join(root, 'evil'), { whiteouts: 'overlay' })).rejects.toThrow(/overlayfs xattr trusted.overlay.redirect/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
