// Build benchmark: the same multi-stage Dockerfile built by `tslab build` and by `buildah bud
// --layers` (runc, its default overlay storage, private roots), alternating, cold (no cache) and
// cached (an unchanged rebuild). Prints the medians and the ratios.
//   npm run build && node dist/bench/build.js [runs]     (root)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/oci/runtime-cli.js';

const runs = Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 5);

const DOCKERFILE = `FROM busybox AS build
ARG N=200
WORKDIR /src
COPY src/ ./
RUN i=0; while [ $i -lt $N ]; do echo line $i >> gen.txt; i=$((i+1)); done && cat *.txt | wc -l > count
FROM busybox
COPY --from=build /src/count /count
COPY data/ /data/
RUN rm /etc/group && mkdir /state
ENV MODE=bench
USER 1000:1000
CMD ["cat", "/count"]
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-500)}`);
}

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'tslabt-bench-build-'));
  const ctx = join(work, 'ctx');
  mkdirSync(join(ctx, 'src'), { recursive: true });
  mkdirSync(join(ctx, 'data'), { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), DOCKERFILE);
  for (let i = 0; i < 50; i++) writeFileSync(join(ctx, 'src', `f${i}.txt`), `file ${i}\n`.repeat(100));
  for (let i = 0; i < 20; i++) writeFileSync(join(ctx, 'data', `d${i}.bin`), Buffer.alloc(64 * 1024, i));
  const data = join(work, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'config.json'), '{}');
  const env = { ...process.env, TSLAB_DATA_ROOT: data, TSLAB_CONFIG: join(data, 'config.json'), TSLAB_OFFLINE: '1' };
  const tslab = [join(packageRoot(), 'bin', 'tslab')];
  const broot = ['--root', join(work, 'broot'), '--runroot', join(work, 'brun'), '--storage-driver', 'overlay'];
  try {
    sh(process.execPath, [...tslab, 'image', 'build-busybox'], env);
    execFileSync('skopeo', ['--insecure-policy', 'copy', '-q', `oci:${data}/oci:docker.io/library/busybox:latest`,
      `containers-storage:[overlay@${join(work, 'broot')}+${join(work, 'brun')}]docker.io/library/busybox:latest`], { stdio: 'pipe' });
    const results = { tslabCold: [] as number[], buildahCold: [] as number[], tslabCached: [] as number[], buildahCached: [] as number[] };
    for (let i = 0; i < runs; i++) {
      results.tslabCold.push(timed(() => sh(process.execPath, [...tslab, 'build', '--no-cache', '-q', '-t', 'bench', ctx], env)));
      results.buildahCold.push(timed(() => sh('buildah', [...broot, 'bud', '--runtime', '/usr/sbin/runc', '--network', 'host', '--layers', '--no-cache', '-q', '-t', 'bench', ctx])));
      results.tslabCached.push(timed(() => sh(process.execPath, [...tslab, 'build', '-q', '-t', 'bench', ctx], env)));
      results.buildahCached.push(timed(() => sh('buildah', [...broot, 'bud', '--runtime', '/usr/sbin/runc', '--network', 'host', '--layers', '-q', '-t', 'bench', ctx])));
    }
    const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)])) as Record<keyof typeof results, number>;
    console.log(`build benchmark, ${runs} alternating runs each (median ms)`);
    console.log(`cold   (--no-cache): tslab ${m.tslabCold.toFixed(0)} ms, buildah ${m.buildahCold.toFixed(0)} ms, ratio ${(m.tslabCold / m.buildahCold).toFixed(2)}x buildah`);
    console.log(`cached (unchanged):  tslab ${m.tslabCached.toFixed(0)} ms, buildah ${m.buildahCached.toFixed(0)} ms, ratio ${(m.tslabCached / m.buildahCached).toFixed(2)}x buildah`);
  } finally {
    spawnSync('buildah', [...broot, 'rmi', '--all', '--force'], { stdio: 'ignore' });
    spawnSync('sh', ['-c', `grep -o " ${work}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }
}

main();
