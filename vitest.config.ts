import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: run files in a small pool so DuckDB, SQLite and the receiver do not starve each other.
    pool: 'forks',
    maxWorkers: 2,
  },
});
