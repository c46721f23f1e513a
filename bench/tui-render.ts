// How fast the TUI draws with a 10,000-event trace loaded (target: at least 30 frames per second).
//   node dist/bench/tui-render.js [events] [frames]
// 1. streaming: a recorded trace is continued end to end (`c`), as a fast live run would arrive;
// 2. scrolling: with every event loaded, each ↑ key is one frame; we time key → new frame.
// Frames are drawn by Ink into a fake 80×24 terminal (ink-testing-library, one write per frame).
// As `tslab … --step` does (src/tui/run.ts): React's production build, chosen before React loads.
process.env.NODE_ENV ??= 'production';
const { default: React } = await import('react');
const { render } = await import('ink-testing-library');
const { App } = await import('../src/tui/App.js');
const { ReplaySource } = await import('../src/tui/sources/replay.js');
const { TraceModel } = await import('../src/tui/model.js');
const { sampleTrace } = await import('../src/tui/sample-trace.js');

const wantedEvents = Number(process.argv[2] ?? 10_000);
const frames = Number(process.argv[3] ?? 300);

async function until(what: string, test: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function main(): Promise<void> {
  const trace = sampleTrace({ extraSteps: Math.max(0, Math.ceil((wantedEvents - 60) / 2)) });
  const model = new TraceModel();
  const r = render(React.createElement(App, { source: new ReplaySource(trace), title: 'bench', columns: 80, rows: 24, model }));
  const frameCount = (): number => r.frames.length;
  await until('first frame', () => (r.lastFrame() ?? '').includes('waiting for you'));

  // 1. streaming
  const t0 = performance.now();
  const f0 = frameCount();
  r.stdin.write('c');
  await until('end of trace', () => (r.lastFrame() ?? '').includes('end of trace'));
  const streamMs = performance.now() - t0;
  const streamFrames = frameCount() - f0;
  console.log(`continue through ${trace.length} events: ${streamMs.toFixed(0)} ms to the last frame ` +
    `(${streamFrames} frames; redraws are coalesced to at most one per 33 ms), model ${model.rows.length} rows`);

  // 2. scrolling: one frame per key press
  // Wall time includes waiting for a CPU on a busy machine; CPU time is what the frame costs.
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < frames; i++) {
    const before = frameCount();
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    r.stdin.write(i % 50 < 25 ? '\u001B[A' : '\u001B[B');
    await until('a frame after a key', () => frameCount() > before, 5000);
    const cpu = process.cpuUsage(cpu0);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
    times.push(performance.now() - start);
  }
  cpuTimes.sort((a, b) => a - b);
  const cpuMean = cpuTimes.reduce((a, b) => a + b, 0) / cpuTimes.length;
  const cpuP95 = cpuTimes[Math.floor(cpuTimes.length * 0.95)]!;
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const p95 = times[Math.floor(times.length * 0.95)]!;
  const fps = 1000 / mean;
  console.log(`scrolling with ${model.rows.length} steps loaded: key→frame mean ${mean.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, ` +
    `max ${times[times.length - 1]!.toFixed(2)} ms → ${fps.toFixed(0)} frames per second`);
  console.log(`CPU time per frame: mean ${cpuMean.toFixed(2)} ms, p95 ${cpuP95.toFixed(2)} ms → ${(1000 / cpuP95).toFixed(0)} fps sustainable on one core (p95)`);
  r.unmount();
  // The target is about what a frame costs; wall-clock fps on a loaded machine is printed above.
  const ok = 1000 / cpuMean >= 30 && 1000 / cpuP95 >= 30;
  const { loadavg, cpus } = await import('node:os');
  console.log(`machine: ${cpus().length} cpus, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (numbers from a busy machine are pessimistic)`);
  console.log(ok ? 'PASS: at least 30 fps (CPU time per frame, mean and p95)' : 'FAIL: below 30 fps');
  process.exitCode = ok ? 0 : 1;
}

await main();
