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
  },
});
