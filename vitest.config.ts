import { defineConfig } from 'vitest/config';

// Integration tests start real containers on a 2-core machine: run files one at a time
// so that cgroup and mount checks of one file never see another file's containers.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/child-coverage.ts'],
    coverage: { provider: 'v8', include: ['src/**'] },
  },
});
