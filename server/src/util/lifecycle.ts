// Components started in order and closed in the reverse order. Each one
// registers its own close as it starts; if starting fails at any point,
// what was already started is closed before the error goes on, so a failed
// boot leaks no database, Redis or socket.
import type { Logger } from 'pino'

interface Started {
  name: string
  close: () => Promise<void> | void
}

export class Lifecycle {
  private readonly started: Started[] = []
  private closing: Promise<void> | null = null

  constructor(private readonly logger: Logger) {}

  /** Starts a component and registers its close. */
  async start<T>(name: string, open: () => Promise<T> | T, close: (it: T) => Promise<void> | void): Promise<T> {
    const it = await open()
    this.started.push({ name, close: () => close(it) })
    return it
  }

  /** Registers the close of something made without waiting (a plain constructor). */
  add<T>(name: string, it: T, close: (it: T) => Promise<void> | void): T {
    this.started.push({ name, close: () => close(it) })
    return it
  }

  /** Components, in the order they started (tests, logs). */
  get names(): string[] {
    return this.started.map((s) => s.name)
  }

  /** Closes everything started, last first; a failing close is logged and the rest still close. Once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const s of this.started.reverse()) {
        try {
          await s.close()
        } catch (err) {
          this.logger.error({ err, component: s.name }, 'closing a component failed')
        }
      }
      this.started.length = 0
    })()
    return this.closing
  }

  /** Runs `build`; should it throw, closes what it started and rethrows. */
  async build<T>(build: (life: Lifecycle) => Promise<T>): Promise<T> {
    try {
      return await build(this)
    } catch (err) {
      await this.close()
      throw err
    }
  }
}
