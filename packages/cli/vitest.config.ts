import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A whole run-all per test, two test files at once beside other packages' tests on 2 cores.
    testTimeout: 240_000,
    // Two test files at once: most of their time is spent waiting on step4 child processes.
    maxWorkers: 2,
    minWorkers: 2,
  },
});
