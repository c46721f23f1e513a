// The whole curriculum headless, as CI runs it: `tslab test labs/ --jobs N` on our runtime and on
// runc, alternating in one run, wall time with the ratio between them.
//   node dist/bench/curriculum.js [iterations] [jobs]       (root; runc installed for the peer)
// Each run names its containers, cgroups and folders with a prefix of its own (--name-prefix), so
// a run can never meet another's leftovers; a failing check fails the benchmark.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { alternate, CLEAN_ENV, report, type Candidate } from './alternate.js';

const iterations = Number(process.argv[2] ?? 1);
const jobs = process.argv[3] ?? String(cpus().length);
const tslab = fileURLToPath(new URL('../../bin/tslab', import.meta.url));
const labs = fileURLToPath(new URL('../../labs', import.meta.url));

if (process.getuid?.() !== 0) throw new Error('the curriculum starts real containers: run the benchmark as root');
const runc = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
const labRun = (runtime: string, tag: string): Candidate => ({
  name: `tslab test labs/ --runtime ${runtime}`,
  cmd: process.execPath,
  args: [tslab, 'test', labs, '--runtime', runtime, '--jobs', jobs, '--name-prefix', `tslabt-bc-${tag}-`],
  env: CLEAN_ENV,
});
const candidates = [labRun('tslab', 'ours'), ...(runc ? [labRun(runc, 'runc')] : [])];
report(`the whole curriculum, --jobs ${jobs}, ${iterations} alternating runs each (median)`, alternate(candidates, iterations), candidates[candidates.length - 1]!.name);
if (!runc) console.log('  skipped runc: not installed (apt-get install runc)');
