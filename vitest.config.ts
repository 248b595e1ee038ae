import { defineConfig } from 'vitest/config';

// End-to-end suites start real processes on PostgreSQL; they run whenever TEST_DATABASE_URL is set (CI sets it).
const e2e = process.env.TEST_DATABASE_URL ? ['test/e2e/**/*.e2e.test.ts'] : [];

export default defineConfig({
  test: {
    include: [
      'src/**/*.test.ts',
      'test/api/**/*.test.ts',
      'test/contract/**/*.test.ts',
      'test/browser/**/*.test.ts',
      'test/sdk/**/*.test.ts',
      ...e2e,
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
