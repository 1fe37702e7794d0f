// Sends queued webhook deliveries and retries failed ones with backoff. The
// queue is the webhook_deliveries table, so what was queued survives a
// restart and, with several instances, each delivery is claimed by exactly
// one of them (FOR UPDATE SKIP LOCKED and a lease): an instance that dies
// mid-send leaves a lease that runs out, and another one takes it over.
import { and, asc, desc, eq, inArray, isNull, lte, lt, ne, notInArray, or, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { Db } from '../store/db.js'
import { type WebhookAttemptRow, webhookDeliveries, webhooks } from '../store/schema.js'
import type { AddressPolicy } from './address-policy.js'
import { send } from './sender.js'

/** Deliveries kept per webhook once they are done (the delivery log). */
export const DELIVERIES_KEPT = 50
const BATCH = 16

export interface DeliveryOptions {
  db: Db
  logger: Logger
  policy: AddressPolicy
  /** The waits before the 2nd, 3rd, … attempt; one more attempt than there are waits. */
  retryDelaysMs: number[]
  timeoutMs: number
}

type DeliveryRow = typeof webhookDeliveries.$inferSelect

export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private again = false
  private closed = false

  constructor(private readonly o: DeliveryOptions) {}

  get maxAttempts(): number {
    return this.o.retryDelaysMs.length + 1
  }

  start(): void {
    // Retries come due on their own: look often enough for the shortest wait.
    const every = Math.max(50, Math.min(2000, ...this.o.retryDelaysMs))
    this.timer = setInterval(() => this.kick(), every)
    this.timer.unref()
    this.kick()
  }

  /** Something was queued (or came due): send it now rather than at the next look. */
  kick(): void {
    if (this.closed) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.drain().finally(() => {
      this.running = null
      if (this.again) {
        this.again = false
        this.kick()
      }
    })
  }

  /** Stops looking; an attempt under way finishes (at most the delivery timeout). */
  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    await this.running
  }

  private async drain(): Promise<void> {
    try {
      while (!this.closed && (await this.round()) === BATCH) {
        // a full batch: there may be more due
      }
    } catch (err) {
      this.o.logger.warn({ err }, 'webhook delivery round failed')
    }
  }

  /** Claims what is due, sends it, and records how it went. Returns how many it claimed. */
  private async round(): Promise<number> {
    const { db } = this.o
    const leaseMs = this.o.timeoutMs + 30_000
    const due = and(
      eq(webhookDeliveries.status, 'pending'),
      lte(webhookDeliveries.nextAttemptAt, sql`now()`),
      or(isNull(webhookDeliveries.lockedUntil), lt(webhookDeliveries.lockedUntil, sql`now()`)),
    )
    const ids = db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(due)
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(BATCH)
      .for('update', { skipLocked: true })
    const claimed = await db
      .update(webhookDeliveries)
      .set({ lockedUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})`, attempts: sql`${webhookDeliveries.attempts} + 1` })
      .where(and(inArray(webhookDeliveries.id, ids), due))
      .returning()
    if (claimed.length === 0) return 0
    const hooks = await db
      .select({ id: webhooks.id, url: webhooks.url, secret: webhooks.secret, enabled: webhooks.enabled })
      .from(webhooks)
      .where(inArray(webhooks.id, [...new Set(claimed.map((d) => d.webhookId))]))
    const byId = new Map(hooks.map((h) => [h.id, h]))
    await Promise.all(
      claimed.map(async (delivery) => {
        const hook = byId.get(delivery.webhookId)
        // Deleted meanwhile: its deliveries went with it.
        if (!hook) return
        if (!hook.enabled) return this.finish(delivery, false, { at: new Date().toISOString(), statusCode: null, body: null, durationMs: 0, error: 'The webhook is disabled' }, true)
        const { ok, attempt } = await send({ id: delivery.id, url: hook.url, secret: hook.secret, payload: delivery.payload }, this.o)
        await this.finish(delivery, ok, attempt, false)
      }),
    )
    return claimed.length
  }

  private async finish(delivery: DeliveryRow, ok: boolean, attempt: WebhookAttemptRow, giveUp: boolean): Promise<void> {
    const last = giveUp || delivery.attempts >= this.maxAttempts
    const status = ok ? 'delivered' : last ? 'failed' : 'pending'
    const waitMs = this.o.retryDelaysMs[Math.min(delivery.attempts, this.o.retryDelaysMs.length) - 1] ?? 0
    await this.o.db
      .update(webhookDeliveries)
      .set({
        status,
        lockedUntil: null,
        ...(status === 'pending' ? { nextAttemptAt: new Date(Date.now() + waitMs) } : {}),
        log: sql`${webhookDeliveries.log} || ${JSON.stringify([attempt])}::jsonb`,
      })
      .where(eq(webhookDeliveries.id, delivery.id))
    // Only what happened, never the URL's query, a header or the body: a secret could be in any of them.
    this.o.logger.debug({ webhookId: delivery.webhookId, deliveryId: delivery.id, event: delivery.event, attempt: delivery.attempts, status, statusCode: attempt.statusCode }, 'webhook delivery attempt')
    if (status !== 'pending') await this.prune(delivery.webhookId)
  }

  /** The delivery log keeps the newest few finished deliveries of each webhook. */
  private async prune(webhookId: string): Promise<void> {
    const { db } = this.o
    const keep = db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, webhookId))
      .orderBy(desc(webhookDeliveries.createdAt))
      .limit(DELIVERIES_KEPT)
    await db
      .delete(webhookDeliveries)
      .where(and(eq(webhookDeliveries.webhookId, webhookId), ne(webhookDeliveries.status, 'pending'), notInArray(webhookDeliveries.id, keep)))
  }
}
