// Decompression streams for layers: gzip through zlib, zstd through fzstd, plain tar as is.
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import type { Compression } from './media.js';

class ZstdStream extends Transform {
  private readonly zstd: Decompress;
  constructor() {
    super();
    this.zstd = new Decompress((chunk) => {
      this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.zstd.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      cb();
    } catch (err) {
      cb(new Error(`zstd layer is corrupt: ${(err as Error).message}`));
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.zstd.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(new Error(`zstd layer is corrupt: ${(err as Error).message}`));
    }
  }
}

export function decompressor(compression: Compression): Transform {
  switch (compression) {
    case 'gzip':
      return createGunzip({ chunkSize: 256 * 1024 });
    case 'zstd':
      return new ZstdStream();
    case 'none':
      return new PassThrough();
  }
}

/** Guesses compression from the first bytes (for tars given to load/import). */
export function sniffCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}
