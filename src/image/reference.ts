// Image references, normalised the way docker does it:
//   busybox                 → docker.io/library/busybox:latest
//   me/app:v1               → docker.io/me/app:v1
//   127.0.0.1:5000/x@sha256:… keeps its registry and digest.
// The grammar is distribution/reference's; every rejection says what was wrong.
import { UsageError } from '../errors.js';

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';

export interface ImageReference {
  /** Registry host as written in names (docker.io, 127.0.0.1:5000). */
  registry: string;
  /** Repository path inside the registry (library/busybox). */
  repository: string;
  tag?: string;
  digest?: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const ANY_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

function bad(ref: string, why: string): UsageError {
  return new UsageError(`invalid image reference "${ref}": ${why}`);
}

function validDomain(domain: string): boolean {
  let host = domain;
  const ipv6 = /^\[([0-9a-fA-F:]+)\](?::(\d+))?$/.exec(domain);
  if (ipv6) return true;
  const colon = domain.lastIndexOf(':');
  if (colon >= 0) {
    const port = domain.slice(colon + 1);
    if (!/^\d+$/.test(port) || Number(port) > 65535) return false;
    host = domain.slice(0, colon);
  }
  return host.split('.').every((c) => DOMAIN_COMPONENT.test(c));
}

/** Parses and normalises a reference; throws a UsageError naming the problem. */
export function parseReference(input: string): ImageReference {
  const ref = input.trim();
  if (ref === '') throw bad(input, 'it is empty; give a name such as busybox or busybox:1.36');
  if (/\s/.test(ref)) throw bad(input, 'it contains whitespace');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!ANY_DIGEST.test(digest)) throw bad(input, `"${digest}" is not a digest (expected sha256: and 64 hex digits)`);
    if (!DIGEST.test(digest)) throw bad(input, `only sha256 digests with 64 lowercase hex digits are supported, not "${digest}"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw bad(input, `tag "${tag}" may only hold letters, digits, _ . - (at most 128, not starting with . or -)`);
  }
  if (rest === '') throw bad(input, 'the repository name is missing');
  let registry = DEFAULT_REGISTRY;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first;
      path = rest.slice(slash + 1);
      if (!validDomain(registry)) throw bad(input, `"${registry}" is not a valid registry host[:port]`);
    }
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DEFAULT_REGISTRY;
  if (path === '') throw bad(input, 'the repository name is missing after the registry');
  if (path !== path.toLowerCase()) throw bad(input, 'repository names must be lowercase');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw bad(input, component === ''
        ? 'it has an empty path component (//, or a leading or trailing /)'
        : `path component "${component}" may only hold lowercase letters, digits and single . _ or - between them`);
    }
  }
  if (registry === DEFAULT_REGISTRY && !path.includes('/')) path = `library/${path}`;
  if (registry.length + 1 + path.length > 255) throw bad(input, 'the name is longer than 255 characters');
  if (!tag && !digest) tag = DEFAULT_TAG;
  return { registry, repository: path, tag, digest };
}

/** registry/repository, e.g. docker.io/library/busybox. */
export function repoName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The full normalised name: docker.io/library/busybox:latest, or …@sha256:… */
export function formatReference(ref: ImageReference): string {
  let s = repoName(ref);
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/** How docker shows a repository: library images without docker.io/library/. */
export function familiarRepo(ref: ImageReference): string {
  if (ref.registry !== DEFAULT_REGISTRY) return repoName(ref);
  return ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : ref.repository;
}

export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}

/** Loopback registries speak plain HTTP, as docker allows. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
