import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The end-to-end suite starts a server process; the machine's two cores are shared.
    maxWorkers: 2,
  },
});
