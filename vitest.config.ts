import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Some end-to-end tests start the real server twice (demo, restart); two cores shared with databases.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Test files share two cores and real database servers; a few forks at a time keep timings sane.
    pool: 'forks',
    maxWorkers: 2,
  },
});
