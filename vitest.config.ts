import { defineConfig } from 'vitest/config'

// Whole-process load tests run on their own, after everything else: they use
// both cores for a minute, which would make them noisy and starve the browser
// flows running beside them.
const alone = ['server/test/memory.test.ts']

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './server/test/helpers/unhandled-summary.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          // Here rather than above, so that it prints once, not once per project.
          globalSetup: ['server/test/helpers/global-setup.ts'],
          include: ['server/test/**/*.test.ts', 'client/**/*.test.ts', 'shared/**/*.test.ts'],
          exclude: alone,
          // Every file starts its own server and embedded database; two at a
          // time keeps a 2-core machine responsive.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'alone', include: alone, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
})
