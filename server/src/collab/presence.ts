// Who is online on which board, across instances. Each instance knows its own
// connections; with Redis it mirrors them into one hash per board, with a
// deadline per entry renewed by a heartbeat, so a crashed instance's entries
// lapse on their own.
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'

/** How often an instance renews its entries, and how long an entry lives without renewal. */
const HEARTBEAT_MS = 20_000
const ENTRY_TTL_MS = 60_000

export interface PresenceSource {
  /** Principal keys (`user:<id>`, `guest:<id>`) this instance has on the board. */
  localPrincipals(boardId: string): Set<string>
  /** Boards this instance has someone on. */
  localBoards(): Iterable<string>
}

export class PresenceRegistry {
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly source: PresenceSource,
    private readonly redis: { client: Redis; key: (name: string) => string; instanceId: string; healthy: boolean } | null,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (!this.redis || this.timer) return
    this.timer = setInterval(() => {
      for (const boardId of this.source.localBoards()) void this.write(boardId)
    }, HEARTBEAT_MS)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** A principal's first connection here opened, or its last one closed. */
  changed(boardId: string): void {
    void this.write(boardId)
  }

  private async write(boardId: string): Promise<void> {
    const r = this.redis
    if (!r?.healthy) return
    const key = r.key(`online:${boardId}`)
    const mine = this.source.localPrincipals(boardId)
    const deadline = String(Date.now() + ENTRY_TTL_MS)
    try {
      const fields = await r.client.hkeys(key)
      const stale = fields.filter((f) => f.startsWith(`${r.instanceId}|`) && !mine.has(f.slice(r.instanceId.length + 1)))
      const multi = r.client.multi()
      if (stale.length > 0) multi.hdel(key, ...stale)
      for (const p of mine) multi.hset(key, `${r.instanceId}|${p}`, deadline)
      multi.pexpire(key, ENTRY_TTL_MS * 2)
      await multi.exec()
    } catch (err) {
      this.logger.debug({ err, boardId }, 'presence write failed')
    }
  }

  async onlinePrincipals(boardId: string): Promise<Set<string>> {
    const local = this.source.localPrincipals(boardId)
    const r = this.redis
    if (!r?.healthy) return local
    try {
      const all = await r.client.hgetall(r.key(`online:${boardId}`))
      const now = Date.now()
      for (const [field, until] of Object.entries(all)) {
        if (Number(until) > now) local.add(field.slice(field.indexOf('|') + 1))
      }
    } catch (err) {
      this.logger.debug({ err, boardId }, 'presence read failed')
    }
    return local
  }
}
