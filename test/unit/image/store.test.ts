import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { ImageStore } from '../../../src/image/store.js';
import { sha256Digest, chainIds } from '../../../src/image/digest.js';
import { MEDIA } from '../../../src/image/media.js';
import { collectGarbage } from '../../../src/image/gc.js';
import { pollUntil } from '../../../src/labs/wait.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function store(): ImageStore {
  const root = mkdtempSync(join(tmpdir(), 'tslabt-store-'));
  roots.push(root);
  return new ImageStore(root);
}

function fakeImage(s: ImageStore, seed: string): { digest: string; size: number; mediaType: string; configDigest: string } {
  const layer = s.putBlob(`layer ${seed}`);
  const config = s.putBlob(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(seed)] } }));
  const manifest = s.putBlob(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, ...config }, layers: [{ mediaType: MEDIA.ociLayerGzip, ...layer }],
  }));
  return { ...manifest, mediaType: MEDIA.ociManifest, configDigest: config.digest };
}

describe('the OCI layout store', () => {
  it('is an OCI image layout', () => {
    const s = store();
    expect(JSON.parse(readFileSync(join(s.layout, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(JSON.parse(readFileSync(join(s.layout, 'index.json'), 'utf8'))).toMatchObject({ schemaVersion: 2, manifests: [] });
  });

  it('finds images by name, by ID prefix and by manifest digest, and says when a prefix is ambiguous', async () => {
    const s = store();
    const a = fakeImage(s, 'a');
    const b = fakeImage(s, 'b');
    await s.tag('docker.io/library/a:latest', a);
    await s.tag('docker.io/library/b:v1', b);
    expect(s.find('a')?.configDigest).toBe(a.configDigest);
    expect(s.find('b:v1')?.manifestDigest).toBe(b.digest);
    expect(s.find(a.configDigest.slice(7, 19))?.names).toEqual(['docker.io/library/a:latest']);
    expect(s.find(b.digest)?.configDigest).toBe(b.configDigest);
    expect(s.find('b')).toBeUndefined();
    expect(s.find('ffffffffffff')).toBeUndefined();
  });

  it('says when an ID prefix is ambiguous', async () => {
    const s = store();
    const configOf = (seed: string): string => sha256Digest(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(seed)] } }));
    const seen = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const prefix = configOf(`s${i}`).slice(7, 11);
      if (seen.has(prefix)) pair = [seen.get(prefix)!, `s${i}`];
      else seen.set(prefix, `s${i}`);
    }
    const x = fakeImage(s, pair[0]);
    const y = fakeImage(s, pair[1]);
    await s.tag('docker.io/library/x:1', x);
    await s.tag('docker.io/library/y:1', y);
    expect(() => s.find(x.configDigest.slice(7, 11))).toThrow(/ID prefix "[a-f0-9]{4}" is ambiguous: give more digits/);
    expect(s.find(x.configDigest.slice(7, 30))?.names).toEqual(['docker.io/library/x:1']);
  });

  it('refuses to tag an image whose blobs are missing', async () => {
    const s = store();
    const a = fakeImage(s, 'a');
    const manifest = JSON.parse(s.readBlob(a.digest).toString()) as { layers: { digest: string }[] };
    s.unlinkBlob(manifest.layers[0]!.digest);
    await expect(s.tag('docker.io/library/a:latest', a)).rejects.toThrow(/is incomplete: blob sha256:[a-f0-9]{64} is missing/);
    expect(s.list()).toEqual([]);
  });

  it('keeps nothing of a blob whose content does not match its digest', async () => {
    const s = store();
    const wrong = sha256Digest('expected');
    await expect(s.ingest(Readable.from([Buffer.from('something else')]), wrong, 14)).rejects.toThrow(new RegExp(`blob ${wrong} failed verification`));
    await expect(s.ingest(Readable.from([Buffer.from('expected!')]), wrong, 8)).rejects.toThrow(/expected 8 bytes/);
    expect(s.allBlobs()).toEqual([]);
    expect(readdirSync(s.tmp)).toEqual([]);
    await s.ingest(Readable.from([Buffer.from('expected')]), wrong, 8);
    expect(s.allBlobs()).toEqual([wrong]);
  });

  it('keeps no partial ingest file when the source fails before the file is written (issue 11, item 7)', async () => {
    const s = store();
    // A busy machine: every thread of the pool is taken, so a file the write stream opens itself
    // is opened only after the ingest has failed and cleaned up.
    const busy = Array.from({ length: 4 }, () => promisify(pbkdf2)('x', 'y', 300_000, 32, 'sha256'));
    const failing = new Readable({ read() { this.destroy(new Error('the registry went away')); } });
    await expect(s.ingest(failing, sha256Digest('x'), 1)).rejects.toThrow(/went away/);
    await Promise.all(busy);
    const left = await pollUntil(() => readdirSync(s.tmp), (l) => l.length > 0, 300);
    expect(left).toEqual([]);
  });

  it('collects blobs no tag reaches', async () => {
    const s = store();
    const a = fakeImage(s, 'a');
    fakeImage(s, 'orphan');
    await s.tag('docker.io/library/a:latest', a);
    const gc = await collectGarbage(s);
    expect(gc.blobs).toBe(3);
    expect(s.allBlobs().sort()).toEqual(s.reachable(a).sort());
    await s.untag('docker.io/library/a:latest');
    await collectGarbage(s);
    expect(s.allBlobs()).toEqual([]);
  });

  it('computes chain IDs like the image spec', () => {
    const d = [sha256Digest('1'), sha256Digest('2')];
    expect(chainIds(d)).toEqual([d[0], sha256Digest(`${d[0]} ${d[1]}`)]);
  });
});
