// A reporter that repeats the run's unhandled errors, briefly, as the last
// lines of the output: CI logs are often read from the end, where the default
// reporter has only "This error originated in …" left of them.
import type { Reporter, SerializedError } from 'vitest/node'

export default class UnhandledSummary implements Reporter {
  onTestRunEnd(_modules: unknown, errors: ReadonlyArray<SerializedError>): void {
    if (errors.length === 0) return
    const lines = ['', `Unhandled errors (${errors.length}), in short:`]
    for (const err of errors) {
      const e = err as SerializedError & { type?: string; VITEST_TEST_PATH?: string; VITEST_TEST_NAME?: string }
      lines.push(`- ${e.type ?? 'Error'} in ${e.VITEST_TEST_PATH ?? '?'}${e.VITEST_TEST_NAME ? ` > ${e.VITEST_TEST_NAME}` : ''}: ${e.name ?? ''}: ${e.message ?? ''}`)
      for (const frame of (e.stack ?? '').split('\n').filter((l) => l.trim().startsWith('at ')).slice(0, 8)) lines.push(`    ${frame.trim()}`)
    }
    process.stdout.write(`${lines.join('\n')}\n`)
  }
}
