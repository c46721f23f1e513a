import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../../src/image/registry/challenge.js';

describe('WWW-Authenticate parsing', () => {
  it('reads a Docker Hub bearer challenge', () => {
    const c = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
    expect(c).toEqual([{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }]);
  });
  it('reads basic and a scope with commas', () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    const c = parseChallenges('Bearer realm="http://127.0.0.1:1/token", service="x", scope="repository:a/b:pull,push"');
    expect(c[0]!.params.scope).toBe('repository:a/b:pull,push');
  });
  it('returns nothing for a missing header', () => {
    expect(parseChallenges(undefined)).toEqual([]);
  });
});
