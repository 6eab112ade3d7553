import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two test files at a time even on two cores: most of the slow files wait on child
    // processes, brokers and timers rather than compute (npm test: about 650 s instead of 900 s).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
