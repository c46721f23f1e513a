// Helpers for the build tests: a build context on disk, buildah with private storage, and a
// comparable listing of a root filesystem unpacked by umoci (both images go through the same
// unpacker, so differences are the builders').
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function writeContext(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tslabt-ctx-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** path → "type mode uid:gid size sha|target" for every entry under root (mtimes left out). */
export function treeListing(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = `${rel}/${name}`;
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      const owner = `${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out.set(r, `dir ${mode} ${owner}`);
        walk(p, r);
      } else if (st.isSymbolicLink()) {
        out.set(r, `link ${owner} -> ${readlinkSync(p)}`);
      } else if (st.isFile()) {
        out.set(r, `file ${mode} ${owner} ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`);
      } else {
        out.set(r, `other ${mode} ${owner} ${st.rdev}`);
      }
    }
  };
  walk(root, '');
  return out;
}

export function diffListings(a: Map<string, string>, b: Map<string, string>): string[] {
  const lines: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) lines.push(`${k}: tslab "${v}" buildah "${b.get(k) ?? 'missing'}"`);
  for (const [k, v] of b) if (!a.has(k)) lines.push(`${k}: tslab "missing" buildah "${v}"`);
  return lines;
}

export interface Buildah {
  run(args: string[]): string;
  /** Builds CONTEXT and writes the image as an OCI layout at DIR:NAME; returns the layout ref. */
  bud(context: string, name: string, extra?: string[]): string;
  cleanup(): void;
}

/** buildah with its own storage under a tslabt- folder, seeded with an image from an OCI layout. */
export function privateBuildah(seed: { layoutRef: string; name: string }): Buildah {
  const dir = mkdtempSync(join(tmpdir(), 'tslabt-buildah-'));
  const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
  const run = (args: string[]): string => execFileSync('buildah', [...base, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  execFileSync('skopeo', ['--insecure-policy', 'copy', '-q', `oci:${seed.layoutRef}`, `containers-storage:[vfs@${join(dir, 'root')}+${join(dir, 'run')}]${seed.name}`], { stdio: 'pipe' });
  return {
    run,
    bud(context, name, extra = []) {
      run(['bud', '--runtime', '/usr/sbin/runc', '--network', 'host', '--layers', '-t', name, ...extra, context]);
      const out = join(dir, 'out');
      run(['push', name, `oci:${out}:${name}`]);
      return `${out}:${name}`;
    },
    cleanup() {
      try {
        run(['rmi', '--all', '--force']);
      } catch {
        // nothing built
      }
      execFileSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mountinfo | xargs -r -n1 umount -l`], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** umoci unpack of an OCI layout ref into a fresh folder; returns the bundle folder (rootfs/ and config.json). */
export function umociUnpack(layoutRef: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tslabt-umoci-'));
  rmSync(dir, { recursive: true });
  execFileSync('umoci', ['unpack', '--image', layoutRef, dir], { stdio: 'pipe' });
  return dir;
}
