// Pull and push against a real registry (docker-registry) with images pushed by skopeo, in a
// throwaway data root; skopeo reads our store back as an `oci:` layout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { skopeo, skopeoAsync, startRegistry, startTokenServer, tempDataRoot, tslab, type Registry } from './registry.js';

const uid = process.getuid?.() ?? -1;
if (uid !== 0) console.warn('pull.test.ts: not root, so whiteout device nodes cannot be made: these tests need root and will fail');

let fixture: ReturnType<typeof tempDataRoot>;
let work: string;
let registry: Registry;

function umoci(args: string[]): void {
  execFileSync('umoci', args, { stdio: 'pipe' });
}

beforeAll(async () => {
  fixture = tempDataRoot();
  work = mkdtempSync(join(tmpdir(), 'tslabt-work-'));
  const built = await tslab(['image', 'build-busybox'], fixture.env);
  expect(built.code, built.stderr).toBe(0);
  // a second image on top: one added file, one deleted lower file (a whiteout)
  skopeo(['copy', `oci:${fixture.dir}/oci:docker.io/library/busybox:latest`, `oci:${work}/layout:base`]);
  umoci(['unpack', '--image', `${work}/layout:base`, `${work}/bundle`]);
  writeFileSync(join(work, 'bundle/rootfs/tslabt-added'), 'added in layer 2\n');
  unlinkSync(join(work, 'bundle/rootfs/etc/group'));
  umoci(['repack', '--image', `${work}/layout:two`, `${work}/bundle`]);
  registry = await startRegistry();
  skopeo(['copy', '--dest-tls-verify=false', `oci:${work}/layout:base`, `docker://${registry.host}/tslabt/busybox:v1`]);
  skopeo(['copy', '--dest-tls-verify=false', `oci:${work}/layout:two`, `docker://${registry.host}/tslabt/two:v1`]);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  fixture?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('image pull and push against docker-registry', () => {
  it('pulls anonymously what skopeo pushed, and skopeo reads our store as oci:', async () => {
    const d = tempDataRoot();
    try {
      const ref = `${registry.host}/tslabt/busybox:v1`;
      const r = await tslab(['image', 'pull', ref], d.env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(ref);
      const ls = await tslab(['image', 'ls'], d.env);
      expect(ls.stdout).toContain(`${registry.host}/tslabt/busybox`);
      const inspected = JSON.parse(skopeo(['inspect', `oci:${d.dir}/oci:${ref}`])) as { Layers: string[] };
      expect(inspected.Layers).toHaveLength(1);
      const snaps = readdirSync(join(d.dir, 'snapshots')).filter((n) => /^[a-f0-9]{64}$/.test(n));
      expect(snaps).toHaveLength(1);
      expect(existsSync(join(d.dir, 'snapshots', snaps[0]!, 'fs/bin/busybox'))).toBe(true);
      // a second pull finds everything there and unpacks nothing new
      const again = await tslab(['image', 'pull', ref], d.env);
      expect(again.code, again.stderr).toBe(0);
      expect(readdirSync(join(d.dir, 'snapshots')).filter((n) => /^[a-f0-9]{64}$/.test(n))).toHaveLength(1);
      // by digest too: the name keeps the digest, and the content is checked against it
      const digest = (JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${ref}`])) as { Digest: string }).Digest;
      const byDigest = await tslab(['image', 'pull', `${registry.host}/tslabt/busybox@${digest}`], d.env);
      expect(byDigest.code, byDigest.stderr).toBe(0);
      expect(byDigest.stdout.trim()).toBe(`${registry.host}/tslabt/busybox@${digest}`);
    } finally {
      d.cleanup();
    }
  });

  it('unpacks a deleted lower file as an overlay whiteout, sharing the base snapshot', async () => {
    const d = tempDataRoot();
    try {
      expect((await tslab(['image', 'pull', `${registry.host}/tslabt/busybox:v1`], d.env)).code).toBe(0);
      const r = await tslab(['image', 'pull', `${registry.host}/tslabt/two:v1`], d.env);
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse((await tslab(['image', 'inspect', `${registry.host}/tslabt/two:v1`], d.env)).stdout) as { Snapshots: string[] }[];
      const chain = info[0]!.Snapshots;
      expect(chain).toHaveLength(2);
      expect(readdirSync(join(d.dir, 'snapshots')).filter((n) => /^[a-f0-9]{64}$/.test(n))).toHaveLength(2);
      const top = join(d.dir, 'snapshots', chain[1]!.replace('sha256:', ''), 'fs');
      const wh = lstatSync(join(top, 'etc/group'));
      expect(wh.isCharacterDevice()).toBe(true);
      expect(wh.rdev).toBe(0);
      expect(readFileSync(join(top, 'tslabt-added'), 'utf8')).toBe('added in layer 2\n');
    } finally {
      d.cleanup();
    }
  });

  it('pushes with tslab image push, and skopeo pulls it back', async () => {
    const d = tempDataRoot();
    try {
      const src = `${registry.host}/tslabt/busybox:v1`;
      expect((await tslab(['image', 'pull', src], d.env)).code).toBe(0);
      const dest = `${registry.host}/tslabt/pushed:v2`;
      const r = await tslab(['image', 'push', src, dest], d.env);
      expect(r.code, r.stderr).toBe(0);
      const digest = r.stdout.trim().split('@')[1];
      const remote = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${dest}`])) as { Digest: string };
      expect(remote.Digest).toBe(digest);
    } finally {
      d.cleanup();
    }
  });

  it('picks a platform from a multi-platform index and names the platforms when none fits', async () => {
    const d = tempDataRoot();
    try {
      const manifestOf = (repo: string): { digest: string; size: number; mediaType: string } => {
        const raw = skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/${repo}`]);
        const digest = `sha256:${sha256Hex(raw)}`;
        return { digest, size: Buffer.byteLength(raw), mediaType: (JSON.parse(raw) as { mediaType?: string }).mediaType ?? 'application/vnd.oci.image.manifest.v1+json' };
      };
      // both manifests must live in the index's repository: copy them there first
      skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${registry.host}/tslabt/busybox:v1`, `docker://${registry.host}/tslabt/multi:amd`]);
      skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${registry.host}/tslabt/two:v1`, `docker://${registry.host}/tslabt/multi:arm`]);
      const amd = manifestOf('tslabt/multi:amd');
      const arm = manifestOf('tslabt/multi:arm');
      const index = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { ...amd, platform: { os: 'linux', architecture: 'amd64' } },
          { ...arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        ],
      };
      const put = await fetch(`http://${registry.host}/v2/tslabt/multi/manifests/v1`, {
        method: 'PUT', headers: { 'content-type': index.mediaType }, body: JSON.stringify(index),
      });
      expect(put.status).toBe(201);
      const r = await tslab(['image', 'pull', '--platform', 'linux/arm64', `${registry.host}/tslabt/multi:v1`], d.env);
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse((await tslab(['image', 'inspect', `${registry.host}/tslabt/multi:v1`], d.env)).stdout) as { ManifestDigest: string }[];
      expect(info[0]!.ManifestDigest).toBe(arm.digest);
      const none = await tslab(['image', 'pull', '--platform', 'linux/s390x', `${registry.host}/tslabt/multi:v1`], d.env);
      expect(none.code).not.toBe(0);
      expect(none.stderr).toMatch(/no image for linux\/s390x; it has: linux\/amd64, linux\/arm64\/v8/);
    } finally {
      d.cleanup();
    }
  });

  it('retries a registry that answers 503 or drops the connection once', async () => {
    const d = tempDataRoot();
    const failedOnce = new Set<string>();
    const proxy = http.createServer((req, res) => {
      const key = `${req.method} ${req.url}`;
      if (!failedOnce.has(key) && /\/(blobs|manifests)\//.test(req.url ?? '')) {
        failedOnce.add(key);
        if (req.method === 'GET' && req.url!.includes('/blobs/')) {
          // send half of the blob, then drop the connection
          http.get({ host: '127.0.0.1', port: registry.port, path: req.url }, (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.once('data', (chunk: Buffer) => {
              res.write(chunk.subarray(0, Math.max(1, chunk.length >> 1)));
              setTimeout(() => req.socket.destroy(), 20);
              up.destroy();
            });
          });
        } else res.writeHead(503).end();
        return;
      }
      const upstream = http.request({ host: '127.0.0.1', port: registry.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    const port = await new Promise<number>((r) => proxy.listen(0, '127.0.0.1', () => r((proxy.address() as AddressInfo).port)));
    try {
      const r = await tslab(['image', 'pull', `127.0.0.1:${port}/tslabt/busybox:v1`], d.env);
      expect(r.code, r.stderr).toBe(0);
      expect([...failedOnce].filter((k) => k.includes('/blobs/')).length).toBeGreaterThanOrEqual(2);
      expect([...failedOnce].some((k) => k.includes('/manifests/'))).toBe(true);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
      d.cleanup();
    }
  });

  it('fails a corrupted blob naming its digest, and leaves no image and no blob behind', async () => {
    const d = tempDataRoot();
    const raw = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/tslabt/busybox:v1`])) as { layers: { digest: string }[] };
    const layer = raw.layers[0]!.digest;
    // a proxy that flips one byte of that layer on its way through
    const proxy = http.createServer((req, res) => {
      const upstream = http.request({ host: '127.0.0.1', port: registry.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        let first = true;
        up.on('data', (chunk: Buffer) => {
          if (first && req.url?.includes(`/blobs/${layer}`)) {
            chunk = Buffer.from(chunk);
            chunk[chunk.length - 1] ^= 0xff;
          }
          first = false;
          res.write(chunk);
        });
        up.on('end', () => res.end());
      });
      req.pipe(upstream);
    });
    const port = await new Promise<number>((r) => proxy.listen(0, '127.0.0.1', () => r((proxy.address() as AddressInfo).port)));
    try {
      const r = await tslab(['image', 'pull', `127.0.0.1:${port}/tslabt/busybox:v1`], d.env);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(layer);
      expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('tslab:'))).toHaveLength(1);
      expect((await tslab(['image', 'ls', '-q'], d.env)).stdout.trim()).toBe('');
      const blobs = readdirSync(join(d.dir, 'oci/blobs/sha256'));
      expect(blobs).not.toContain(layer.replace('sha256:', ''));
      expect(blobs).toHaveLength(0);
      expect(readdirSync(join(d.dir, 'tmp'))).toHaveLength(0);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
      d.cleanup();
    }
  });

  it('tries registry mirrors from the config for docker.io images', async () => {
    const d = tempDataRoot();
    try {
      skopeo(['copy', '--dest-tls-verify=false', `oci:${work}/layout:base`, `docker://${registry.host}/library/tslabt-mirrored:v1`]);
      writeFileSync(join(d.dir, 'config.json'), JSON.stringify({ registryMirrors: [`http://${registry.host}`] }));
      const r = await tslab(['image', 'pull', 'tslabt-mirrored:v1'], d.env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('docker.io/library/tslabt-mirrored:v1');
      expect((await tslab(['image', 'ls'], d.env)).stdout).toMatch(/^tslabt-mirrored\s+v1\s/m);
      // without a mirror, TSLAB_OFFLINE keeps tslab from reaching out to docker.io at all
      writeFileSync(join(d.dir, 'config.json'), '{}');
      const off = await tslab(['image', 'pull', 'tslabt-mirrored:v2'], d.env);
      expect(off.code).not.toBe(0);
      expect(off.stderr.trim()).toMatch(/TSLAB_OFFLINE=1 allows only loopback registries, and docker.io is not one/);
    } finally {
      d.cleanup();
    }
  });

  it('container run pulls a missing image first', async () => {
    const d = tempDataRoot();
    try {
      const r = await tslab(['container', 'run', '--rm', '--network', 'none', '--runtime', '/usr/sbin/runc', `${registry.host}/tslabt/two:v1`, 'cat', '/tslabt-added'], d.env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('added in layer 2\n');
      expect(r.stderr).toContain(`pulling ${registry.host}/tslabt/two:v1`);
      const history = await tslab(['image', 'history', '--no-trunc', `${registry.host}/tslabt/two:v1`], d.env);
      expect(history.stdout).toMatch(/busybox-static/);
    } finally {
      d.cleanup();
    }
  });

  it('says clearly when an image does not exist or a reference is malformed', async () => {
    const d = tempDataRoot();
    try {
      const missing = await tslab(['image', 'pull', `${registry.host}/tslabt/nothing:v1`], d.env);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/manifest v1: not found in 127\.0\.0\.1:\d+\/tslabt\/nothing/);
      const bad = await tslab(['image', 'pull', 'Bad/Name'], d.env);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr.trim()).toBe('tslab: invalid image reference "Bad/Name": repository names must be lowercase');
    } finally {
      d.cleanup();
    }
  });
});

describe('registry authentication', () => {
  it('Basic auth (htpasswd): refuses without login, rejects a wrong password, pulls after tslab login', async () => {
    const reg = await startRegistry({ kind: 'htpasswd', user: 'tslabt', password: 'secret-pw' });
    const d = tempDataRoot();
    try {
      skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'tslabt:secret-pw', `oci:${work}/layout:base`, `docker://${reg.host}/tslabt/private:v1`]);
      const ref = `${reg.host}/tslabt/private:v1`;
      const denied = await tslab(['image', 'pull', ref], d.env);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain(`run \`tslab login ${reg.host}\``);
      const wrong = await tslab(['login', reg.host, '-u', 'tslabt', '--password-stdin'], d.env, 'nope\n');
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/login to 127\.0\.0\.1:\d+ failed/);
      const ok = await tslab(['login', reg.host, '-u', 'tslabt', '--password-stdin'], d.env, 'secret-pw\n');
      expect(ok.code, ok.stderr).toBe(0);
      expect((readFileSync(join(d.dir, 'auth.json')).length)).toBeGreaterThan(0);
      expect(lstatSync(join(d.dir, 'auth.json')).mode & 0o077).toBe(0);
      const pulled = await tslab(['image', 'pull', ref], d.env);
      expect(pulled.code, pulled.stderr).toBe(0);
      const pushed = await tslab(['image', 'push', ref, `${reg.host}/tslabt/private:v2`], d.env);
      expect(pushed.code, pushed.stderr).toBe(0);
    } finally {
      d.cleanup();
      await reg.stop();
    }
  });

  it('Bearer tokens from a token server, with a scope per repository', async () => {
    const tokens = await startTokenServer({ tslabt: 'tok-pw' });
    const reg = await startRegistry({ kind: 'token', realm: tokens.realm, certFile: tokens.certFile, service: tokens.service, issuer: tokens.issuer });
    const d = tempDataRoot();
    try {
      await skopeoAsync(['copy', '--dest-tls-verify=false', '--dest-creds', 'tslabt:tok-pw', `oci:${work}/layout:base`, `docker://${reg.host}/tslabt/tok:v1`]);
      tokens.seen.length = 0;
      const r = await tslab(['image', 'pull', `${reg.host}/tslabt/tok:v1`], d.env);
      expect(r.code, r.stderr).toBe(0);
      expect(tokens.seen.map((s) => s.scope)).toContain('repository:tslabt/tok:pull');
      expect(tokens.seen.every((s) => s.user === undefined)).toBe(true);
      // pushing needs push scope and a user
      const login = await tslab(['login', reg.host, '-u', 'tslabt', '--password-stdin'], d.env, 'tok-pw');
      expect(login.code, login.stderr).toBe(0);
      const pushed = await tslab(['image', 'push', `${reg.host}/tslabt/tok:v1`, `${reg.host}/tslabt/tok:v2`], d.env);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(tokens.seen.some((s) => s.scope === 'repository:tslabt/tok:pull,push' && s.user === 'tslabt')).toBe(true);
    } finally {
      d.cleanup();
      await reg.stop();
      await tokens.stop();
    }
  });

  it('follows a blob redirect to another host without sending Authorization there', async () => {
    const reg = await startRegistry();
    const d = tempDataRoot();
    skopeo(['copy', '--dest-tls-verify=false', `oci:${work}/layout:base`, `docker://${reg.host}/tslabt/redir:v1`]);
    const authSeenAtTarget: (string | undefined)[] = [];
    // the blob store: another origin (localhost instead of 127.0.0.1)
    const blobs = http.createServer((req, res) => {
      authSeenAtTarget.push(req.headers.authorization);
      http.get({ host: '127.0.0.1', port: reg.port, path: req.url }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
    });
    const blobPort = await new Promise<number>((r) => blobs.listen(0, '127.0.0.1', () => r((blobs.address() as AddressInfo).port)));
    // the front: demands Basic credentials, redirects blob GETs to the blob store
    const front = http.createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('tslabt:redir-pw').toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="tslabt"' }).end();
        return;
      }
      if (req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')) {
        res.writeHead(307, { location: `http://localhost:${blobPort}${req.url}` }).end();
        return;
      }
      const upstream = http.request({ host: '127.0.0.1', port: reg.port, path: req.url, method: req.method, headers: { ...req.headers, authorization: '' } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    const frontPort = await new Promise<number>((r) => front.listen(0, '127.0.0.1', () => r((front.address() as AddressInfo).port)));
    try {
      const host = `127.0.0.1:${frontPort}`;
      const login = await tslab(['login', host, '-u', 'tslabt', '--password-stdin'], d.env, 'redir-pw');
      expect(login.code, login.stderr).toBe(0);
      const r = await tslab(['image', 'pull', `${host}/tslabt/redir:v1`], d.env);
      expect(r.code, r.stderr).toBe(0);
      expect(authSeenAtTarget.length).toBeGreaterThanOrEqual(2);
      expect(authSeenAtTarget.every((a) => a === undefined)).toBe(true);
    } finally {
      await new Promise<void>((r) => front.close(() => r()));
      await new Promise<void>((r) => blobs.close(() => r()));
      d.cleanup();
      await reg.stop();
    }
  });
});

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
