import { defineConfig } from 'vitest/config';

// Integration tests share one PostgreSQL, one moto and one s3rver per run (started in the global
// setup) and generate media fixtures once; files run in parallel in forked workers.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
