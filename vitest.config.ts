import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Server leg (DATABASE_URL set): one migrated template database per run, copied by every test file.
    globalSetup: ['test/helpers/global-setup.ts'],
    // PGlite boots in ~4 s per test file; integration files share one instance each. Timeouts are hang guards,
    // not budgets: a 2-core CI machine shared with other jobs runs these several times slower than idle.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores on CI: more workers only thrash WASM Postgres instances.
    maxWorkers: 2,
    // Quiet by default; a test that inspects logs raises the level itself.
    env: { LOG_LEVEL: 'SILENT' },
  },
})
