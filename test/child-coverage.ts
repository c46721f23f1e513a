// Under npm run test:coverage (scripts/coverage.mjs): the processes a test starts write their V8
// coverage to this folder. Set here, in the test worker after it started, because the worker's own
// coverage is vitest's, and NODE_V8_COVERAGE at a worker's start would take those counts from it.
import { ENV } from '../src/env.js';

const dir = process.env[ENV.CHILD_COVERAGE];
if (dir) process.env.NODE_V8_COVERAGE = dir;
