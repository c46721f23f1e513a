// What `--network bridge` adds to a container's start, over `--network none`.
//   node dist/bench/network.js [iterations]
// Stand-in containers (a process in its own netns) are attached in this process with the same API
// `tslab container run` calls, so the numbers are the network work alone: none = bring lo up;
// bridge = veth pair + eth0/lo/address/route (8 netlink messages, 2 setns); bridge -p = plus the nft
// rules (two nft(8) runs). Docker's default bridge is timed too when a docker engine is running.
// Uses a scratch data root and a bridge, subnet and nft table named tslabtb…, removed at the end.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  attachContainer, detachContainer, loadSettings, resetNetworking, setupLoopbackOnly,
} from '../src/net/index.js';

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(2)} ms  p90 ${q(0.9).toFixed(2)} ms  min ${s[0]!.toFixed(2)} ms  (n=${s.length})`;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function standIn(): { pid: number; child: ChildProcess } {
  const own = readlinkSync('/proc/self/ns/net');
  const child = spawn('unshare', ['--net', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if (readlinkSync(`/proc/${child.pid}/ns/net`) !== own) return { pid: child.pid!, child };
    } catch {
      // not started yet
    }
    if (Date.now() > deadline) throw new Error('stand-in container did not start');
    sleepMs(2);
  }
}

function dockerTimes(n: number): string {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return 'docker: no engine running on this machine, skipped';
  }
  const time = (network: string): number[] => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = now();
      execFileSync('docker', ['run', '--rm', '--network', network, 'busybox', 'true'], { stdio: 'ignore' });
      out.push(now() - t0);
    }
    return out;
  };
  try {
    const none = time('none');
    const bridge = time('bridge');
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return `docker run --network none:   ${stats(none)}\ndocker run --network bridge: ${stats(bridge)}\n` +
      `docker bridge adds ≈ ${(median(bridge) - median(none)).toFixed(1)} ms`;
  } catch (err) {
    return `docker: ${(err as Error).message.split('\n')[0]}`;
  }
}

function main(): void {
  if (process.getuid?.() !== 0) throw new Error('the network benchmark needs root');
  const n = Number(process.argv[2] ?? 30);
  const dataRoot = mkdtempSync('/tmp/tslabtb-net-');
  mkdirSync(join(dataRoot, 'network'));
  const tag = Math.random().toString(16).slice(2, 8);
  writeFileSync(join(dataRoot, 'network', 'config.json'), JSON.stringify({
    bridge: `tslabtb${tag}`, subnet: '10.213.250.0/24', nftTable: `tslabtb${tag}`,
  }));
  const settings = loadSettings({ ...process.env, TSLAB_DATA_ROOT: dataRoot });
  const children: ChildProcess[] = [];
  const results: Record<string, number[]> = { none: [], bridge: [], 'bridge -p': [], detach: [] };
  try {
    // Warm up: the first attach creates the bridge, loads nft and JIT-compiles the code paths.
    const warm = standIn();
    children.push(warm.child);
    attachContainer({ id: 'tslabtb-warm', pid: warm.pid, ports: ['127.0.0.1:29999:80'] }, settings);
    detachContainer('tslabtb-warm', settings);
    for (let i = 0; i < n; i++) {
      const a = standIn();
      const b = standIn();
      const c = standIn();
      children.push(a.child, b.child, c.child);
      let t0 = now();
      setupLoopbackOnly(a.pid);
      results.none!.push(now() - t0);
      t0 = now();
      attachContainer({ id: `tslabtb-${i}`, pid: b.pid }, settings);
      results.bridge!.push(now() - t0);
      t0 = now();
      attachContainer({ id: `tslabtb-p${i}`, pid: c.pid, ports: [`127.0.0.1:${28000 + i}:80`] }, settings);
      results['bridge -p']!.push(now() - t0);
      t0 = now();
      detachContainer(`tslabtb-${i}`, settings);
      results.detach!.push(now() - t0);
      detachContainer(`tslabtb-p${i}`, settings);
      for (const x of [a, b, c]) x.child.kill('SIGKILL');
    }
    const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
    process.stdout.write(`tslab network setup, in-process, ${n} stand-in containers\n`);
    for (const [k, v] of Object.entries(results)) process.stdout.write(`  ${k.padEnd(10)} ${stats(v)}\n`);
    process.stdout.write(`  bridge adds ≈ ${(median(results.bridge!) - median(results.none!)).toFixed(2)} ms over none` +
      ` (with one published port: ≈ ${(median(results['bridge -p']!) - median(results.none!)).toFixed(2)} ms)\n`);
    process.stdout.write(dockerTimes(Math.min(n, 10)) + '\n');
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    resetNetworking(settings);
    rmSync(dataRoot, { recursive: true, force: true });
  }
}

main();
