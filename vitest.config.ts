import { defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * The longest files start first, whatever order a clean checkout would give
 * (no timing cache on CI): otherwise one of them can start last and run on
 * alone while the other worker idles. The browser flows sit between the
 * others, so that two of them (each a Chromium and a server) seldom run at once.
 */
const LONGEST = [
  'memory.test', 'kill-durability', 'session-flows', 'admin-cli', 'newcomer-flows', 'collab-durability', 'canvas-flows', 'storage.test',
  'history-flows', 'multi-instance', 'performance', 'history.test', 'session-more-flows', 'connection-caps', 'collab-flows', 'operations',
  'lifecycle-flows', 'openapi',
]

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((name) => f.moduleId.includes(name))
      return i < 0 ? LONGEST.length : i
    }
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b))
  }
}


export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Files run one after another in each worker process, sharing its loaded
    // modules: every file imports the whole server, and importing it again
    // per file cost a sixth of the run. Nothing in the suite mocks modules or
    // timers, and every file starts its own server and database.
    isolate: false,
    reporters: ['default', './server/test/helpers/unhandled-summary.ts'],
    // Only the root's sequencer is used (one set inside a project is
    // ignored). The memory churn test measures memory after forced
    // collections, not time: it starts early beside the kill loop instead of
    // running at the end while the other worker idles.
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          // Here rather than above, so that it prints once, not once per project.
          globalSetup: ['server/test/helpers/global-setup.ts'],
          include: ['server/test/**/*.test.ts', 'client/**/*.test.ts', 'shared/**/*.test.ts'],
          // Every file starts its own server and embedded database; two at a
          // time keeps a 2-core machine responsive.
          maxWorkers: 2,
        },
      },
    ],
  },
})
