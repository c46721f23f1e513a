import { describe, expect, it } from 'vitest';
import { familiarRepo, isLoopbackRegistry, normalizeReference, parseReference } from '../../../src/image/reference.js';

describe('image references', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['me/app:v1', 'docker.io/me/app:v1'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox:x', 'docker.io/library/busybox:x'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b/c:t', 'localhost:5000/a/b/c:t'],
    ['127.0.0.1:5000/tslabt/img:v1', '127.0.0.1:5000/tslabt/img:v1'],
    ['quay.io/x/y@sha256:' + 'a'.repeat(64), 'quay.io/x/y@sha256:' + 'a'.repeat(64)],
    ['x:t@sha256:' + 'b'.repeat(64), 'docker.io/library/x:t@sha256:' + 'b'.repeat(64)],
    ['my_app__x-y.z', 'docker.io/library/my_app__x-y.z:latest'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeReference(input)).toBe(expected);
  });

  it.each([
    ['', /empty/],
    ['Busybox', /lowercase/],
    ['busybox:', /tag ""/],
    ['busybox:-x', /tag/],
    ['a//b', /empty path component/],
    ['/busybox', /empty path component|repository name is missing/],
    ['busybox@sha256:abc', /not a digest/],
    ['busybox@md5:' + 'a'.repeat(32), /only sha256/],
    ['host:99999/x', /registry host/],
    ['bad_-name', /path component/],
    ['a b', /whitespace/],
    ['127.0.0.1:5000/', /missing/],
  ])('rejects %j', (input, message) => {
    expect(() => parseReference(input)).toThrow(message);
  });

  it('shows library images the familiar way', () => {
    expect(familiarRepo(parseReference('busybox'))).toBe('busybox');
    expect(familiarRepo(parseReference('me/x'))).toBe('me/x');
    expect(familiarRepo(parseReference('127.0.0.1:1/x'))).toBe('127.0.0.1:1/x');
  });

  it('knows loopback registries', () => {
    expect(isLoopbackRegistry('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackRegistry('localhost')).toBe(true);
    expect(isLoopbackRegistry('[::1]:5000')).toBe(true);
    expect(isLoopbackRegistry('docker.io')).toBe(false);
    expect(isLoopbackRegistry('127.example.com')).toBe(false);
  });
});
