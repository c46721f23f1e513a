// npm run test:coverage [-- vitest arguments, e.g. test/unit test/e2e/container.test.ts]
//
// Line coverage of src/, counting the code that runs in tslab's own child processes too: the CLI
// (from its modules), the runtime (dist/runtime.cjs), the container's init (dist/init.cjs) and the exec helper
// (dist/exec-init.cjs). vitest's v8 provider sees only the test processes; every process they start
// inherits NODE_V8_COVERAGE and Node writes its raw V8 coverage there at exit (the init and the exec
// helper, which end in execve, write theirs just before it: src/runtime/init/process.ts). Here the
// raw coverage of the built files is merged, mapped back to src/*.ts through the source maps (tsc's,
// and esbuild's for the bundles), and each line of src/ counts as run when any process ran it.
//
// Writes coverage/coverage-final.json and coverage/html/; prints the summary and the least-covered folders.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from '@bcoe/v8-coverage';
import libCoverage from 'istanbul-lib-coverage';
import libReport from 'istanbul-lib-report';
import reports from 'istanbul-reports';
import v8ToIstanbul from 'v8-to-istanbul';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'coverage');
const raw = join(out, 'raw');
const src = join(root, 'src') + sep;
const distUrl = pathToFileURL(join(root, 'dist')).href + '/';

rmSync(out, { recursive: true, force: true });
mkdirSync(raw, { recursive: true });

// 1. The tests, with vitest's coverage of the test processes and NODE_V8_COVERAGE for all they start
// (set inside each test worker by test/child-coverage.ts: in the worker's own start it would take
// vitest's counts away).
const vitest = spawnSync(process.execPath, [
  join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--coverage.enabled', '--coverage.reporter=json',
  `--coverage.reportsDirectory=${join(out, 'vitest')}`, '--coverage.reportOnFailure', ...process.argv.slice(2),
], {
  cwd: root, stdio: 'inherit',
  // the CLI from its modules (TSLAB_UNBUNDLED): in V8's coverage of the bundle the lines of functions
  // never called count as run (measured: `tslab --version` "covered" builder.ts), so it overstates
  env: { ...process.env, TSLAB_CHILD_COVERAGE: raw, TSLAB_UNBUNDLED: '1' },
});

// 2. The child processes' raw coverage of dist/, merged per script.
let children;
let dumps = 0;
for (const file of readdirSync(raw)) {
  let result;
  try {
    result = JSON.parse(readFileSync(join(raw, file), 'utf8')).result.filter((s) => s.url.startsWith(distUrl) && !s.url.includes('/dist/bench/'));
  } catch {
    continue; // a dump cut short (a process killed while writing)
  }
  if (result.length === 0) continue;
  dumps++;
  children = children ? v8.mergeProcessCovs([children, { result }]) : { result };
}

// 3. Mapped to src/*.ts: the lines some child process ran.
const childLines = new Map();
for (const script of children?.result ?? []) {
  const converter = v8ToIstanbul(fileURLToPath(script.url), 0);
  try {
    await converter.load();
  } catch {
    continue; // no source map beside it: nothing to say about src/
  }
  converter.applyCoverage(script.functions);
  for (const [file, data] of Object.entries(converter.toIstanbul())) {
    if (!file.startsWith(src)) continue;
    const lines = childLines.get(file) ?? new Set();
    for (const [line, count] of Object.entries(libCoverage.createFileCoverage(data).getLineCoverage())) if (count > 0) lines.add(Number(line));
    childLines.set(file, lines);
  }
  converter.destroy();
}

// 4. vitest's map (every file of src/, run or not) with those lines marked as run.
const map = libCoverage.createCoverageMap(JSON.parse(readFileSync(join(out, 'vitest', 'coverage-final.json'), 'utf8')));
const testOnly = map.getCoverageSummary().lines.pct;
for (const file of map.files()) {
  const lines = childLines.get(file);
  if (!lines) continue;
  const fc = map.fileCoverageFor(file);
  for (const [id, loc] of Object.entries(fc.statementMap)) if (lines.has(loc.start.line) && fc.s[id] === 0) fc.s[id] = 1;
}
writeFileSync(join(out, 'coverage-final.json'), JSON.stringify(map.toJSON()));
const context = libReport.createContext({ dir: out, coverageMap: map });
reports.create('html', { subdir: 'html' }).execute(context);

// 5. The figure, and where it is lowest (folders of src/, then files).
const lines = map.getCoverageSummary().lines;
const byFolder = new Map();
const byFile = [];
for (const file of map.files()) {
  const l = map.fileCoverageFor(file).toSummary().lines;
  const rel = relative(root, file);
  const folder = dirname(rel).split(sep).join('/');
  const f = byFolder.get(folder) ?? { covered: 0, total: 0 };
  f.covered += l.covered;
  f.total += l.total;
  byFolder.set(folder, f);
  if (l.total >= 20) byFile.push({ rel, pct: l.pct, total: l.total });
}
const pct = (c, t) => (t === 0 ? 100 : (100 * c) / t).toFixed(1);
process.stdout.write(`\nline coverage of src/: ${lines.pct.toFixed(1)}% (${lines.covered} of ${lines.total} lines)`
  + ` — ${testOnly.toFixed(1)}% from the test processes alone, the rest from ${dumps} dumps of tslab's own processes\n`);
process.stdout.write('least covered folders:\n');
for (const [folder, f] of [...byFolder].filter(([, f]) => f.total >= 50).sort((a, b) => a[1].covered / a[1].total - b[1].covered / b[1].total).slice(0, 8)) {
  process.stdout.write(`  ${pct(f.covered, f.total).padStart(5)}%  ${folder} (${f.total} lines)\n`);
}
process.stdout.write('least covered files (20+ lines):\n');
for (const f of byFile.sort((a, b) => a.pct - b.pct).slice(0, 8)) process.stdout.write(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.rel}\n`);
process.stdout.write(`report: ${relative(process.cwd(), join(out, 'html', 'index.html'))}\n`);
process.exitCode = vitest.status ?? 1;
