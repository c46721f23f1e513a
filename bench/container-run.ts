// `tslab container run --rm --network none busybox true` against podman's (runc, private storage)
// on the same busybox image, alternating in one run; time and peak memory, with ratios.
//   node dist/bench/container-run.js [iterations]        (root; podman and runc installed)
//   (BENCH_NODE_FLAGS="--flag --flag2;--flag3" adds tslab with those Node flags, one candidate per set)
// (podman's --ulimit: its default nofile and nproc are raised to the host's maxima, which runc
// cannot raise.) Also times tslab with runc as its runtime (the shell-out path) when runc is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternate, CLEAN_ENV, report, type Candidate } from './alternate.js';

const iterations = Number(process.argv[2] ?? 20);
const tslab = fileURLToPath(new URL('../../bin/tslab', import.meta.url));

function must(cmd: string, args: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.toString().trim()}`);
}

function main(): void {
  if (process.getuid?.() !== 0) throw new Error('the benchmark starts real containers: run it as root');
  const podman = ['/usr/bin/podman'].find((p) => existsSync(p));
  const runc = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
  const work = mkdtempSync(join(tmpdir(), 'tslabt-bench-run-'));
  const podmanArgs = ['--root', join(work, 'podman'), '--runroot', join(work, 'podman-run'), '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'none', ...(runc ? ['--runtime', runc] : [])];
  try {
    writeFileSync(join(work, 'none.json'), '{}');
    writeFileSync(join(work, 'runc.json'), JSON.stringify({ runtime: runc ?? 'runc' }));
    const env = { ...CLEAN_ENV, TSLAB_DATA_ROOT: join(work, 'tslab'), TSLAB_CONFIG: join(work, 'none.json') };
    must(process.execPath, [tslab, 'image', 'build-busybox', 'busybox'], env);
    const candidates: Candidate[] = [
      { name: 'tslab', cmd: process.execPath, args: [tslab, 'container', 'run', '--rm', '--network', 'none', 'busybox', 'true'], env },
    ];
    for (const flags of (process.env.BENCH_NODE_FLAGS ?? '').split(';').map((f) => f.trim()).filter(Boolean)) {
      candidates.push({ name: `tslab ${flags}`, cmd: process.execPath, args: [...flags.split(/\s+/), tslab, 'container', 'run', '--rm', '--network', 'none', 'busybox', 'true'], env });
    }
    if (runc) {
      candidates.push({
        name: 'tslab --runtime runc', cmd: process.execPath, env: { ...env, TSLAB_CONFIG: join(work, 'runc.json') },
        args: [tslab, 'container', 'run', '--rm', '--network', 'none', 'busybox', 'true'],
      });
    }
    if (podman) {
      must(process.execPath, [tslab, 'image', 'save', 'busybox', '-o', join(work, 'busybox.tar')], env);
      must(podman, [...podmanArgs, 'load', '-i', join(work, 'busybox.tar')], CLEAN_ENV);
      candidates.push({ name: 'podman', cmd: podman, args: [...podmanArgs, 'run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096', 'busybox', 'true'] });
    }
    const results = alternate(candidates, iterations, { memory: true });
    report(`container run --rm --network none busybox true, ${iterations} alternating runs each (median)`, results, podman ? 'podman' : 'tslab');
    if (!podman) console.log('  skipped podman: not installed (apt-get install podman)');
  } finally {
    if (podman) spawnSync(podman, [...podmanArgs, 'system', 'reset', '--force'], { stdio: 'ignore' });
    spawnSync('sh', ['-c', `grep -o " ${work}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }
}

main();
