// Content digests: sha256 over bytes, checked while the bytes stream past.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function digestHex(digest: string): string {
  if (!DIGEST_RE.test(digest)) throw new Error(`unsupported or malformed digest "${digest}" (expected sha256:<64 hex>)`);
  return digest.slice('sha256:'.length);
}

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

export class DigestMismatchError extends Error {
  constructor(readonly expected: string, readonly actual: string, what = 'blob') {
    super(`${what} ${expected} failed verification: its content hashes to ${actual}; nothing was stored`);
  }
}

export class SizeMismatchError extends Error {
  constructor(readonly digest: string, readonly expected: number, readonly actual: number, what = 'blob') {
    super(`${what} ${digest} failed verification: expected ${expected} bytes, got ${actual}${actual > expected ? ' or more' : ''}; nothing was stored`);
  }
}

/**
 * A pass-through stream that hashes and counts what flows, and fails at the end (or as soon as
 * there is too much) when the content does not match the expected digest and size. Made by a
 * function, not a class declared at load: a subclass of Transform would load node:stream for
 * every command that merely lists images or containers.
 */
export function verifyingStream(expected: string, expectedSize?: number, what = 'blob'): Transform {
  const hash: Hash = createHash('sha256');
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      bytes += chunk.length;
      if (expectedSize !== undefined && bytes > expectedSize) {
        cb(new SizeMismatchError(expected, expectedSize, bytes, what));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback): void {
      if (expectedSize !== undefined && bytes !== expectedSize) {
        cb(new SizeMismatchError(expected, expectedSize, bytes, what));
        return;
      }
      const actual = `sha256:${hash.digest('hex')}`;
      cb(actual === expected ? null : new DigestMismatchError(expected, actual, what));
    },
  });
}

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev ? sha256Digest(`${prev} ${diffId}`) : diffId);
  }
  return out;
}
