// A readable over a file that is still being written (a layer blob while it downloads): it reads
// up to the length it was last told, waits for more, and ends only when told the file is
// complete, so a reader never mistakes a pause in the download for the end of the blob.
import { readSync } from 'node:fs';
import { Readable } from 'node:stream';

const CHUNK = 1024 * 1024;

export class GrowingFile extends Readable {
  private length = 0;
  private position = 0;
  private complete = false;
  private waiting = false;

  /** `fd` is open for reading; the caller closes it once the stream is done with. */
  constructor(private readonly fd: number) {
    super({ highWaterMark: CHUNK });
  }

  /** `length` bytes of the file are written and may be read. */
  grow(length: number): void {
    this.length = Math.max(this.length, length);
    this.wake();
  }

  /** No more bytes will come: the stream ends after what is written. */
  seal(): void {
    this.complete = true;
    this.wake();
  }

  override _read(): void {
    this.waiting = false;
    this.pump();
  }

  private wake(): void {
    if (!this.waiting || this.destroyed) return;
    this.waiting = false;
    this.pump();
  }

  private pump(): void {
    if (this.position < this.length) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, this.length - this.position));
      let n: number;
      try {
        n = readSync(this.fd, buf, 0, buf.length, this.position);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      if (n === 0) {
        this.destroy(new Error(`the file is shorter (${this.position} bytes) than the ${this.length} bytes written to it`));
        return;
      }
      this.position += n;
      this.push(n === buf.length ? buf : buf.subarray(0, n));
      return;
    }
    if (this.complete) this.push(null);
    else this.waiting = true;
  }
}
