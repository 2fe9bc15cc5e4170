import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (src/**/*.test.ts) and touch no database. Integration suites
// live in each package's test/ folder and run against real SQLite files and the real
// PostgreSQL server (COFFER_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
