import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Network tests run against loopback servers started per file; keep CPU for them.
    maxWorkers: 2,
  },
});
