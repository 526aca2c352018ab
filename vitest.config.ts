import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits for a condition; its 1 s default is what a busy 2-core machine stretches
    // past. A poll that passes returns as soon as it does; only a failing one waits this long.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    // Vitest's default is one worker per core but one, so a 2-core machine ran the files one at a
    // time: many of them mostly wait (engine processes at the API's 15/s, restarts, Redis and
    // PostgreSQL), and two at once took the suite from 520 to 240 s there.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
