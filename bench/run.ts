// `npm run bench`: every benchmark in turn, each printing its own alternating figures and ratios.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches = ['cli-startup.js', 'runtime-start.js', 'container-run.js', 'pull.js', 'network.js', 'tracer-overhead.js', 'tui-render.js'];
let failed = 0;
for (const b of benches) {
  console.log(`\n== bench/${b.replace(/\.js$/, '.ts')}`);
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(b, import.meta.url))], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
