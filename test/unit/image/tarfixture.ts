// Builds tar streams entry by entry for unpack tests (the role of containerd's tartest).
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';

export type TarEntry =
  | { kind: 'dir'; name: string; mode?: number }
  | { kind: 'file'; name: string; content: string; mode?: number; uid?: number; gid?: number; pax?: Record<string, string> }
  | { kind: 'symlink'; name: string; target: string }
  | { kind: 'link'; name: string; target: string }
  | { kind: 'char'; name: string; major: number; minor: number };

export const dir = (name: string, mode = 0o755): TarEntry => ({ kind: 'dir', name, mode });
export const file = (name: string, content: string, mode = 0o644): TarEntry => ({ kind: 'file', name, content, mode });
export const symlink = (target: string, name: string): TarEntry => ({ kind: 'symlink', name, target });
export const link = (target: string, name: string): TarEntry => ({ kind: 'link', name, target });

export async function tarBuffer(entries: TarEntry[]): Promise<Buffer> {
  const p = pack();
  const mtime = new Date('2024-01-02T03:04:05Z');
  for (const e of entries) {
    switch (e.kind) {
      case 'dir':
        p.entry({ name: e.name, type: 'directory', mode: e.mode, mtime });
        break;
      case 'file':
        p.entry({ name: e.name, type: 'file', mode: e.mode, mtime, uid: e.uid ?? 0, gid: e.gid ?? 0, pax: e.pax }, e.content);
        break;
      case 'symlink':
        p.entry({ name: e.name, type: 'symlink', linkname: e.target, mode: 0o777, mtime });
        break;
      case 'link':
        p.entry({ name: e.name, type: 'link', linkname: e.target, mode: 0o644, mtime });
        break;
      case 'char':
        p.entry({ name: e.name, type: 'character-device', devmajor: e.major, devminor: e.minor, mode: 0o666, mtime });
        break;
    }
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

export async function tarStream(entries: TarEntry[]): Promise<Readable> {
  return Readable.from([await tarBuffer(entries)]);
}
