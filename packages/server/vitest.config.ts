import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests that start server processes and hammer one database need the two cores to themselves.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
