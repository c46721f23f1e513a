import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../../../src/image/registry/client.js';
import { CredentialStore } from '../../../src/image/registry/credentials.js';
import { defaultConfig } from '../../../src/config/config.js';
import { selectPlatform } from '../../../src/image/pull.js';

let dir: string;
let offline: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tslabt-client-'));
  offline = process.env.TSLAB_OFFLINE;
  delete process.env.TSLAB_OFFLINE;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (offline === undefined) delete process.env.TSLAB_OFFLINE;
  else process.env.TSLAB_OFFLINE = offline;
});

const client = (registry: string, config = defaultConfig()): RegistryClient => new RegistryClient(registry, 'x/y', config, new CredentialStore(dir));

describe('registry endpoints', () => {
  it('speaks HTTPS except to loopback and listed insecure registries; mirrors first for docker.io', () => {
    expect(client('docker.io').endpoints.map(String)).toEqual(['https://registry-1.docker.io/']);
    expect(client('quay.io').endpoints.map(String)).toEqual(['https://quay.io/']);
    expect(client('127.0.0.1:5000').endpoints.map(String)).toEqual(['http://127.0.0.1:5000/']);
    expect(client('localhost:5000').endpoints.map(String)).toEqual(['http://localhost:5000/']);
    const config = { ...defaultConfig(), insecureRegistries: ['reg.lan:5000'], registryMirrors: ['http://127.0.0.1:5001'] };
    expect(client('reg.lan:5000', config).endpoints.map(String)).toEqual(['http://reg.lan:5000/']);
    expect(client('reg.lan:5001', config).endpoints.map(String)).toEqual(['https://reg.lan:5001/']);
    expect(client('docker.io', config).endpoints.map(String)).toEqual(['http://127.0.0.1:5001/', 'https://registry-1.docker.io/']);
    expect(client('quay.io', config).endpoints.map(String)).toEqual(['https://quay.io/']);
  });

  it('TSLAB_OFFLINE=1 keeps only loopback endpoints', () => {
    process.env.TSLAB_OFFLINE = '1';
    const config = { ...defaultConfig(), registryMirrors: ['http://127.0.0.1:5001'] };
    expect(client('docker.io', config).endpoints.map(String)).toEqual(['http://127.0.0.1:5001/']);
    expect(() => client('quay.io')).toThrow(/TSLAB_OFFLINE=1 allows only loopback registries, and quay.io is not one/);
  });
});

describe('platform selection', () => {
  const index = {
    schemaVersion: 2 as const,
    manifests: [
      { mediaType: 'm', digest: 'sha256:a', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'm', digest: 'sha256:b', size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { mediaType: 'm', digest: 'sha256:c', size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { mediaType: 'm', digest: 'sha256:d', size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: 'm', digest: 'sha256:e', size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  };
  it('matches os, architecture and variant', () => {
    expect(selectPlatform(index, { os: 'linux', architecture: 'amd64' }, 'x').digest).toBe('sha256:a');
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' }, 'x').digest).toBe('sha256:c');
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm64' }, 'x').digest).toBe('sha256:d');
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm64', variant: 'v8' }, 'x').digest).toBe('sha256:d');
  });
  it('names the platforms there are when none fits (attestations left out)', () => {
    expect(() => selectPlatform(index, { os: 'linux', architecture: 'riscv64' }, 'img'))
      .toThrow('img has no image for linux/riscv64; it has: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8 (choose one with --platform)');
  });
});
