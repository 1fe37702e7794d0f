// From "what changed" to webhook deliveries: the changes a webhook can
// subscribe to, the event each becomes, and who gets it (the board's own
// webhooks and its owner's account webhooks, while the owner is on the pro
// plan). It sits on the one path every change takes (domain/changes.ts), on
// the instance where the change happened, so an event is queued once however
// many instances run; the queue (delivery-worker.ts) does the rest.
import { randomUUID } from 'node:crypto'
import { and, eq, isNull, or } from 'drizzle-orm'
import type { Logger } from 'pino'
import { WEBHOOK_TEST_EVENT, type WebhookEvent } from '../../../shared/webhooks.js'
import type { PresenceLookup } from '../boards/deps.js'
import { participantOf } from '../boards/participant-service.js'
import type { Change, Changes, Who } from '../domain/changes.js'
import type { Db } from '../store/db.js'
import { boards, guests, users, webhookDeliveries, webhooks } from '../store/schema.js'

interface Event {
  type: WebhookEvent
  boardId: string
  data: Record<string, unknown>
  /** The owner of a board that is gone (its row cannot say any more). */
  ownerId?: string | null
}

const NOBODY_ONLINE: PresenceLookup = { onlinePrincipals: async () => new Set<string>() }

/** The webhook event a change is, or null for changes webhooks do not carry. */
export function eventOf(change: Change): Event | null {
  switch (change.type) {
    case 'lobby.knock':
      return { type: 'guest.knocked', boardId: change.boardId, data: { guest: change.guest } }
    case 'participant.joined':
      return { type: 'participant.joined', boardId: change.boardId, data: { participant: change.who } }
    // "Left" is leaving the board (removed by a host, or left on one's own), not going offline.
    case 'participant.removed':
      return { type: 'participant.left', boardId: change.boardId, data: { participant: { ...change.who, name: change.name } } }
    case 'participant.changed':
      return { type: 'participant.role_changed', boardId: change.boardId, data: { participant: change.who } }
    case 'comment.created':
      return { type: 'comment.created', boardId: change.boardId, data: { thread: change.thread } }
    case 'board.claimed':
      return { type: 'board.claimed', boardId: change.boardId, data: {} }
    case 'board.expiring':
      return { type: 'board.expiring', boardId: change.boardId, data: { expiresAt: change.expiresAt.toISOString() } }
    case 'board.deleted':
      return { type: 'board.deleted', boardId: change.boardId, data: { reason: change.reason }, ownerId: change.ownerId ?? null }
    case 'board.restored':
      return { type: 'board.restored', boardId: change.boardId, data: { kind: change.kind, version: change.version, by: change.by } }
    default:
      return null
  }
}

/** The Standard Webhooks body: `{type, timestamp, data}`. */
export function payloadOf(type: string, data: Record<string, unknown>, at = new Date()): string {
  return JSON.stringify({ type, timestamp: at.toISOString(), data })
}

export const newMessageId = (): string => `msg_${randomUUID().replaceAll('-', '')}`

export class WebhookEvents {
  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly queued: () => void,
  ) {}

  /** Never throws and never waits: a change is committed whatever its webhooks do. */
  changed(change: Change): void {
    const event = eventOf(change)
    if (!event) return
    this.enqueue(event).catch((err) => this.logger.warn({ err, event: event.type, boardId: event.boardId }, 'webhook event not queued'))
  }

  private async enqueue(event: Event): Promise<void> {
    const owner = await this.ownerOf(event)
    if (!owner) return
    const targets = await this.db
      .select({ id: webhooks.id, events: webhooks.events })
      .from(webhooks)
      .innerJoin(users, eq(users.id, webhooks.userId))
      .where(
        and(
          eq(webhooks.userId, owner),
          eq(webhooks.enabled, true),
          eq(users.plan, 'pro'),
          or(isNull(webhooks.boardId), eq(webhooks.boardId, event.boardId)),
        ),
      )
    const wanted = targets.filter((t) => t.events.includes(event.type))
    if (wanted.length === 0) return
    const data = { boardId: event.boardId, ...event.data, ...(await this.details(event)) }
    const payload = payloadOf(event.type, data)
    await this.db.insert(webhookDeliveries).values(wanted.map((t) => ({ id: newMessageId(), webhookId: t.id, event: event.type, payload })))
    this.queued()
  }

  /** Queues the test event for one webhook; returns its delivery id. */
  async queueTest(webhookId: string, boardId: string | null): Promise<string> {
    const id = newMessageId()
    await this.db.insert(webhookDeliveries).values({ id, webhookId, event: WEBHOOK_TEST_EVENT, payload: payloadOf(WEBHOOK_TEST_EVENT, { webhookId, boardId }) })
    this.queued()
    return id
  }

  /**
   * Whose webhooks hear about the board: its owner; for a board that is gone,
   * the owner it had; for a temporary board, the account its creator became.
   */
  private async ownerOf(event: Event): Promise<string | null> {
    if (event.type === 'board.deleted') return event.ownerId ?? null
    const [board] = await this.db.select({ ownerId: boards.ownerId }).from(boards).where(eq(boards.id, event.boardId))
    if (!board) return null
    if (board.ownerId) return board.ownerId
    const [creator] = await this.db
      .select({ userId: guests.linkedUserId })
      .from(guests)
      .where(and(eq(guests.boardId, event.boardId), eq(guests.isCreator, true)))
    return creator?.userId ?? null
  }

  /** The participant's name and role now (the change names only who). */
  private async details(event: Event): Promise<Record<string, unknown>> {
    const who = event.data.participant as Who | undefined
    if (!who || event.type === 'participant.left') return {}
    const p = await participantOf(this.db, NOBODY_ONLINE, event.boardId, who)
    return p ? { participant: { kind: p.kind, id: p.id, name: p.name, role: p.role } } : {}
  }
}

/** The change path with webhooks on it: everything else first, then the webhooks' queue. */
export class WebhookTap implements Changes {
  constructor(
    private readonly inner: Changes,
    private readonly events: WebhookEvents,
  ) {}

  record(change: Change): void {
    this.inner.record(change)
    this.events.changed(change)
  }
}
