// Managing webhooks: a pro user's, for one board they own or for all of them
// (docs/API.md, Webhooks). The secret is made here and shown once, in the
// answer to creating the webhook; lists never hold it.
import { randomBytes } from 'node:crypto'
import { and, count, desc, eq, isNull } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import { ErrorCode } from '../../../shared/constants.js'
import type { CreatedWebhook, Webhook, WebhookDelivery, WebhookEvent } from '../../../shared/webhooks.js'
import type { UserRow } from '../auth/principals.js'
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors.js'
import type { Db } from '../store/db.js'
import { boards, webhookDeliveries, webhooks } from '../store/schema.js'
import { type AddressPolicy, TargetRefused } from './address-policy.js'
import { DELIVERIES_KEPT } from './delivery-worker.js'
import type { WebhookEvents } from './webhook-events.js'

export const MAX_WEBHOOKS_PER_USER = 25
export const WEBHOOK_URL_MAX = 2000
export const WEBHOOK_DESCRIPTION_MAX = 200

type WebhookRow = typeof webhooks.$inferSelect

export interface WebhookInput {
  url: string
  events: WebhookEvent[]
  description?: string
  enabled?: boolean
}

export type WebhookPatch = Partial<WebhookInput>

/** Null: the account's webhooks; a board id: that board's. */
export type WebhookScope = string | null

export const present = (row: WebhookRow): Webhook => ({
  id: row.id,
  boardId: row.boardId,
  url: row.url,
  events: row.events as WebhookEvent[],
  enabled: row.enabled,
  description: row.description,
  createdAt: row.createdAt.toISOString(),
})

export class WebhookService {
  constructor(
    private readonly db: Db,
    private readonly policy: AddressPolicy,
    private readonly events: WebhookEvents,
  ) {}

  async create(user: UserRow, scope: WebhookScope, input: WebhookInput): Promise<CreatedWebhook> {
    await this.checkScope(user, scope, true)
    await this.checkUrl(input.url)
    const [{ n }] = (await this.db.select({ n: count() }).from(webhooks).where(eq(webhooks.userId, user.id))) as [{ n: number }]
    if (n >= MAX_WEBHOOKS_PER_USER) throw conflict(`At most ${MAX_WEBHOOKS_PER_USER} webhooks per account; delete one first`)
    const secret = `whsec_${randomBytes(32).toString('base64')}`
    const [row] = await this.db
      .insert(webhooks)
      .values({
        id: nanoid(),
        userId: user.id,
        boardId: scope,
        url: input.url,
        events: unique(input.events),
        secret,
        enabled: input.enabled ?? true,
        description: input.description ?? '',
      })
      .returning()
    return { webhook: present(row!), secret }
  }

  async list(user: UserRow, scope: WebhookScope): Promise<Webhook[]> {
    await this.checkScope(user, scope, false)
    const rows = await this.db.select().from(webhooks).where(and(eq(webhooks.userId, user.id), inScope(scope))).orderBy(webhooks.createdAt)
    return rows.map(present)
  }

  async update(user: UserRow, scope: WebhookScope, webhookId: string, patch: WebhookPatch): Promise<Webhook> {
    await this.checkScope(user, scope, true)
    await this.find(user, scope, webhookId)
    if (patch.url !== undefined) await this.checkUrl(patch.url)
    const changes: Partial<WebhookRow> = {}
    if (patch.url !== undefined) changes.url = patch.url
    if (patch.events !== undefined) changes.events = unique(patch.events)
    if (patch.enabled !== undefined) changes.enabled = patch.enabled
    if (patch.description !== undefined) changes.description = patch.description
    if (Object.keys(changes).length === 0) return present(await this.find(user, scope, webhookId))
    const [row] = await this.db.update(webhooks).set(changes).where(eq(webhooks.id, webhookId)).returning()
    return present(row!)
  }

  /** Allowed whatever the plan: a user who left pro can still clean up. */
  async remove(user: UserRow, scope: WebhookScope, webhookId: string): Promise<void> {
    await this.checkScope(user, scope, false)
    await this.find(user, scope, webhookId)
    await this.db.delete(webhooks).where(eq(webhooks.id, webhookId))
  }

  async deliveries(user: UserRow, scope: WebhookScope, webhookId: string): Promise<WebhookDelivery[]> {
    await this.checkScope(user, scope, false)
    await this.find(user, scope, webhookId)
    const rows = await this.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, webhookId))
      .orderBy(desc(webhookDeliveries.createdAt))
      .limit(DELIVERIES_KEPT)
    return rows.map((r) => ({
      id: r.id,
      event: r.event,
      status: r.status,
      attempts: r.log,
      nextAttemptAt: r.status === 'pending' ? r.nextAttemptAt.toISOString() : null,
      createdAt: r.createdAt.toISOString(),
      payload: JSON.parse(r.payload) as unknown,
    }))
  }

  /** Queues a `webhook.test` delivery (sent even when the webhook subscribes to nothing else). */
  async test(user: UserRow, scope: WebhookScope, webhookId: string): Promise<string> {
    await this.checkScope(user, scope, true)
    const row = await this.find(user, scope, webhookId)
    if (!row.enabled) throw conflict('The webhook is disabled; enable it first')
    return this.events.queueTest(row.id, row.boardId)
  }

  private async find(user: UserRow, scope: WebhookScope, webhookId: string): Promise<WebhookRow> {
    const [row] = await this.db
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.id, webhookId), eq(webhooks.userId, user.id), inScope(scope)))
    if (!row) throw notFound('Webhook')
    return row
  }

  /** A board's webhooks are its owner's alone; making or changing one needs the pro plan. */
  private async checkScope(user: UserRow, scope: WebhookScope, changing: boolean): Promise<void> {
    if (scope !== null) {
      const [board] = await this.db.select({ ownerId: boards.ownerId }).from(boards).where(eq(boards.id, scope))
      if (!board) throw notFound('Board')
      if (board.ownerId !== user.id) throw forbidden("Only the board's owner can manage its webhooks")
    }
    if (changing && user.plan !== 'pro') throw forbidden('Webhooks are part of the pro plan', ErrorCode.planRequired)
  }

  private async checkUrl(url: string): Promise<void> {
    try {
      await this.policy.check(url)
    } catch (err) {
      if (err instanceof TargetRefused) throw badRequest(err.message)
      throw err instanceof AppError ? err : badRequest('The webhook URL could not be checked')
    }
  }
}

const inScope = (scope: WebhookScope) => (scope === null ? isNull(webhooks.boardId) : eq(webhooks.boardId, scope))

const unique = <T>(list: T[]): T[] => [...new Set(list)]
