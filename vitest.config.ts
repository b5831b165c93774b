import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file gets its own database and Redis prefix, so files run in parallel.
    fileParallelism: true,
    // Files share two cores and one PostgreSQL and Redis: what a test waits for (a job run, an
    // event relayed) can take seconds under load, never a fixed 1 s (the default). A poll that
    // needs longer still says so where it is written.
    expect: { poll: { timeout: 10_000 } },
  },
});
