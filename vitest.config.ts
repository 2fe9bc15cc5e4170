import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (src/**/*.test.ts) and touch no database. Integration suites
// live in each package's test/ folder and run against real SQLite files and the real
// PostgreSQL server (COFFER_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test).
export default defineConfig({
  test: {
    // Every answer the server sends in a test is checked against the API contract (see
    // packages/server/src/contract-check.ts): an undocumented field, status or error code fails.
    env: { COFFER_CHECK_ANSWERS: '1' },
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
