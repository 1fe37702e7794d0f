// Signed webhooks on the wire (docs/API.md, Webhooks).

/** What a webhook can subscribe to; `webhook.test` is sent only by the "send a test event" route. */
export const WEBHOOK_EVENTS = [
  'guest.knocked',
  'participant.joined',
  'participant.left',
  'participant.role_changed',
  'comment.created',
  'board.claimed',
  'board.expiring',
  'board.deleted',
  'board.restored',
] as const
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]
export const WEBHOOK_TEST_EVENT = 'webhook.test'

export interface Webhook {
  id: string
  /** Null: an account webhook (every board the owner owns). */
  boardId: string | null
  url: string
  events: WebhookEvent[]
  enabled: boolean
  description: string
  createdAt: string
}

/** Only the answer to creating a webhook holds its secret. */
export interface CreatedWebhook {
  webhook: Webhook
  /** `whsec_<base64>`: verify deliveries with it (any Standard Webhooks library). */
  secret: string
}

export interface WebhookAttempt {
  at: string
  statusCode: number | null
  /** The start of the response body (1 KiB at most). */
  body: string | null
  durationMs: number
  error: string | null
}

export interface WebhookDelivery {
  /** The `webhook-id` header, the same on every attempt. */
  id: string
  event: string
  status: 'pending' | 'delivered' | 'failed'
  attempts: WebhookAttempt[]
  nextAttemptAt: string | null
  createdAt: string
  /** The body as sent. */
  payload: unknown
}
