import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['server/test/**/*.test.ts', 'client/**/*.test.ts', 'shared/**/*.test.ts'],
    globalSetup: ['server/test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every file starts its own server and embedded database; two at a time
    // keeps a 2-core machine responsive.
    maxWorkers: 2,
    reporters: ['default'],
  },
})
