// Pull + unpack benchmark: tslab against `skopeo copy` + `umoci unpack`, same image, same local
// registry, page cache dropped before each run. Prints both times and their ratio, and the floor:
// `pigz -dc | tar -x` of the same layer blobs from local disk, all layers at once (tslab unpacks
// them in parallel too), with no network, no digest checks and no snapshot bookkeeping.
//   node dist/bench/pull.js            (root; BENCH_DIRS="usr/lib/gcc usr/share/doc" to choose layers)
// BENCH_OLD=<package root of another build> runs that build's tslab too, in the same rounds (old
// build against new); BENCH_SEQUENTIAL=0 skips the one-layer-at-a-time run; BENCH_NODE_ARGS adds
// arguments to node for tslab's runs (e.g. "--cpu-prof --cpu-prof-dir=DIR" to profile them).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { writeKernelFile } from '../src/runtime/sys/index.js';
import { packageRoot } from '../src/oci/runtime-cli.js';

const dirs = (process.env.BENCH_DIRS ?? 'usr/lib/python3.11 usr/lib/gcc usr/share/doc').split(/\s+/).filter(Boolean);
const runs = Number(process.env.BENCH_RUNS ?? 2);
const oldRoot = process.env.BENCH_OLD;
const sequential = process.env.BENCH_SEQUENTIAL !== '0';
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** One gzip layer from a host folder: returns digest, size and diff ID. */
async function layerFrom(dir: string, blobs: string): Promise<{ digest: string; size: number; diffId: string }> {
  const tar = spawn('tar', ['-C', '/', '--numeric-owner', '-cf', '-', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const diff = createHash('sha256');
  const comp = createHash('sha256');
  const gz = createGzip({ level: 6 });
  const tmp = join(blobs, `tmp-${dir.replace(/\//g, '_')}`);
  const out = createWriteStream(tmp);
  let size = 0;
  tar.stdout.on('data', (c: Buffer) => diff.update(c));
  gz.on('data', (c: Buffer) => {
    comp.update(c);
    size += c.length;
  });
  tar.stdout.pipe(gz).pipe(out);
  await new Promise<void>((resolve, reject) => out.on('finish', resolve).on('error', reject));
  const digest = `sha256:${comp.digest('hex')}`;
  renameSync(tmp, join(blobs, digest.slice(7)));
  return { digest, size, diffId: `sha256:${diff.digest('hex')}` };
}

function putJson(blobs: string, value: unknown): { digest: string; size: number } {
  const data = Buffer.from(JSON.stringify(value));
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  writeFileSync(join(blobs, digest.slice(7)), data);
  return { digest, size: data.length };
}

function dropCaches(): void {
  spawnSync('sync');
  writeKernelFile('/proc/sys/vm/drop_caches', '3', 'drop-caches');
}

/** CPU seconds (user + system) of the children waited for so far: less swayed by load than wall time. */
function childrenCpu(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in clock ticks (USER_HZ)
}

const cpuOf = new Map<string, number[]>();

function timed(label: string, fn: () => void): number {
  dropCaches();
  const cpu0 = childrenCpu();
  const t0 = process.hrtime.bigint();
  fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = childrenCpu() - cpu0;
  cpuOf.set(label, [...(cpuOf.get(label) ?? []), cpu]);
  console.log(`  ${label}: ${(ms / 1000).toFixed(2)} s (CPU ${cpu.toFixed(2)} s)`);
  return ms;
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: env ?? process.env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the pull benchmark needs root (it drops the page cache and unpacks with owners)');
  const work = mkdtempSync(join(tmpdir(), 'tslabt-bench-pull-'));
  let registry: ReturnType<typeof spawn> | undefined;
  try {
    const layout = join(work, 'layout');
    const blobs = join(layout, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    console.log(`building a ${dirs.length}-layer image from /${dirs.join(', /')} …`);
    const layers = [];
    for (const d of dirs) layers.push(await layerFrom(d, blobs));
    const config = putJson(blobs, {
      architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    });
    const manifest = putJson(blobs, {
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    });
    writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(layout, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }],
    }));
    const total = layers.reduce((n, l) => n + l.size, 0);
    console.log(`image: ${(total / 1e6).toFixed(1)} MB compressed in ${layers.length} layers`);

    const port = await freePort();
    writeFileSync(join(work, 'registry.yml'), `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, 'registry')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    registry = spawn('/usr/bin/docker-registry', ['serve', join(work, 'registry.yml')], { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while ((await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.status).catch(() => 0)) !== 200) {
      if (Date.now() > deadline) throw new Error('docker-registry did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    const ref = `127.0.0.1:${port}/tslabt/bench:v1`;
    writeFileSync(join(work, 'none.json'), '{}');
    run('skopeo', ['--insecure-policy', 'copy', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${ref}`]);

    const tslab = join(packageRoot(), 'bin', 'tslab');
    const ours: number[] = [];
    const oursOld: number[] = [];
    const oursSequential: number[] = [];
    const theirs: number[] = [];
    const floor: number[] = [];
    const pigz = ['/usr/bin/pigz', '/bin/pigz'].find((p) => existsSync(p));
    const pull = (label: string, bin: string, root: string, extra: NodeJS.ProcessEnv = {}): number => {
      const ms = timed(label, () => run(process.execPath, [...nodeArgs, bin, 'image', 'pull', '-q', ref],
        { PATH: process.env.PATH, TSLAB_DATA_ROOT: root, TSLAB_CONFIG: join(work, 'none.json'), ...extra }));
      rmSync(root, { recursive: true, force: true });
      return ms;
    };
    for (let i = 0; i < runs; i++) {
      console.log(`run ${i + 1}/${runs}`);
      ours.push(pull('tslab image pull', tslab, join(work, `tslab-${i}`)));
      if (oldRoot) oursOld.push(pull('tslab image pull, old build', join(oldRoot, 'bin', 'tslab'), join(work, `tslab-old-${i}`)));
      if (sequential) {
        oursSequential.push(pull('tslab image pull, layers unpacked one by one', tslab, join(work, `tslab-seq-${i}`), { TSLAB_UNPACK_WORKERS: '0' }));
      }
      const dest = join(work, `skopeo-${i}`);
      theirs.push(timed('skopeo copy + umoci unpack', () => {
        run('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dest}:bench`]);
        run('umoci', ['unpack', '--image', `${dest}:bench`, join(work, `bundle-${i}`)]);
      }));
      if (pigz) {
        const script = layers.map((l, k) => `mkdir -p "$0/${k}" && ${pigz} -dc "${join(blobs, l.digest.slice(7))}" | tar --numeric-owner -xf - -C "$0/${k}" &`).join('\n');
        floor.push(timed('floor: pigz -dc | tar -x of the layers', () => run('sh', ['-c', `${script}\nwait`, join(work, `floor-${i}`)])));
        rmSync(join(work, `floor-${i}`), { recursive: true, force: true });
      }
      rmSync(dest, { recursive: true, force: true });
      rmSync(join(work, `bundle-${i}`), { recursive: true, force: true });
    }
    const best = (xs: number[]): number => Math.min(...xs);
    const sequentialNote = sequential ? ` (one layer at a time: ${(best(oursSequential) / 1000).toFixed(2)} s)` : '';
    console.log(`\nbest of ${runs}: tslab ${(best(ours) / 1000).toFixed(2)} s${sequentialNote}, skopeo+umoci ${(best(theirs) / 1000).toFixed(2)} s`);
    console.log(`ratio (skopeo+umoci / tslab): ${(best(theirs) / best(ours)).toFixed(2)}x ${best(ours) <= best(theirs) ? '(tslab is faster)' : '(tslab is slower)'}`);
    if (oldRoot) {
      const cpuNew = best(cpuOf.get('tslab image pull')!);
      const cpuOld = best(cpuOf.get('tslab image pull, old build')!);
      console.log(`old build: ${(best(oursOld) / 1000).toFixed(2)} s; new / old: ${(best(ours) / best(oursOld)).toFixed(2)}x (CPU ${cpuNew.toFixed(2)} s / ${cpuOld.toFixed(2)} s: ${(cpuNew / cpuOld).toFixed(2)}x)`);
    }
    if (floor.length) {
      const oldNote = oldRoot ? ` (old build / floor: ${(best(oursOld) / best(floor)).toFixed(2)}x)` : '';
      console.log(`floor (pigz -dc | tar -x): ${(best(floor) / 1000).toFixed(2)} s; tslab / floor: ${(best(ours) / best(floor)).toFixed(2)}x${oldNote}`);
    }
    else console.log('floor skipped: pigz is not installed (apt-get install pigz)');
  } finally {
    if (registry?.pid) registry.kill('SIGTERM');
    execFileSync('rm', ['-rf', work]);
  }
}

main().catch((err: Error) => {
  console.error(`bench/pull: ${err.message}`);
  process.exitCode = 1;
});
