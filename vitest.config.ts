import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests of the pure parts, and end-to-end tests that
// drive the real executable against the local cluster (scripts/cluster up).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // One cluster, two cores: run e2e files one at a time.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          globalSetup: ['test/e2e/global-setup.ts'],
        },
      },
    ],
  },
});
