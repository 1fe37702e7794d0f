// Outgoing mail. With SMTP_URL, through nodemailer's SMTP transport; without
// it, into the outbox table (`npm run admin -- mail`) and the log: the
// operator's outbox, the one place a link may be logged (docs/SECURITY.md).
//
// Nothing here blocks or fails an HTTP request: mail and the work that
// composes it (issuing a link) run one at a time in the background, and a
// failed delivery is retried a few times. Log lines name the kind of mail,
// never its address or its content, when SMTP is configured.
import { lt, sql } from 'drizzle-orm'
import type { Transporter } from 'nodemailer'
import type { Logger } from 'pino'
import type { Db } from '../store/db.js'
import { mailOutbox } from '../store/schema.js'

export interface Mail {
  to: string
  subject: string
  text: string
}

/** What a mail is for: the one thing about it that is logged. */
export type MailKind = 'password-reset' | 'email-verification' | 'claim-reminder'

/** Sends (queues) mail; what services are given. */
export interface MailSender {
  /** Queues work that may produce a mail (issuing a link); it runs after what is queued before it. */
  compose(kind: MailKind, make: () => Promise<Mail | null>): void
}

export interface MailerOptions {
  smtpUrl: string | undefined
  from: string
  db: Db
  logger: Logger
  /** Waits before each new attempt after a failed delivery. */
  retryDelaysMs?: readonly number[]
  /** Messages kept in the outbox. */
  outboxKeep?: number
}

export interface OutboxMessage {
  id: number
  to: string
  subject: string
  body: string
  createdAt: string
}

const RETRY_DELAYS_MS = [2_000, 10_000, 60_000] as const
export const OUTBOX_KEEP = 100
/** How long close() waits for mail under way. */
const CLOSE_WAIT_MS = 10_000

interface Job {
  kind: MailKind
  make: () => Promise<Mail | null>
  attempt: number
}

/** An error as it may be logged: what failed, without a link the server may have quoted. */
function safeError(err: unknown): Record<string, unknown> {
  const e = err as { code?: unknown; responseCode?: unknown; command?: unknown; message?: unknown }
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    command: typeof e.command === 'string' ? e.command : undefined,
    message: typeof e.message === 'string' ? e.message.replace(/\S*(?:https?:\/\/|token=)\S*/gi, '[link]').slice(0, 300) : undefined,
  }
}

export class Mailer implements MailSender {
  private readonly queue: Job[] = []
  private readonly timers = new Set<NodeJS.Timeout>()
  /** Loaded with the first mail: nodemailer is megabytes of memory a server without SMTP never needs. */
  private transport: Promise<Transporter> | null = null
  private pumping: Promise<void> | null = null
  private closed = false
  private readonly retryDelays: readonly number[]
  private readonly keep: number

  constructor(private readonly o: MailerOptions) {
    this.retryDelays = o.retryDelaysMs ?? RETRY_DELAYS_MS
    this.keep = o.outboxKeep ?? OUTBOX_KEEP
  }

  /** True when mail leaves through SMTP; false: it goes to the outbox. */
  get smtp(): boolean {
    return Boolean(this.o.smtpUrl)
  }

  private smtpTransport(url: string): Promise<Transporter> {
    if (!this.transport) {
      // No logger option: nodemailer would log the conversation, message included.
      const loading = import('nodemailer').then(({ default: nodemailer }) =>
        nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }),
      )
      // A failed load fails this attempt (retried like a failed delivery), not every later one.
      loading.catch(() => {
        if (this.transport === loading) this.transport = null
      })
      this.transport = loading
    }
    return this.transport
  }

  send(kind: MailKind, mail: Mail): void {
    this.compose(kind, async () => mail)
  }

  compose(kind: MailKind, make: () => Promise<Mail | null>): void {
    if (this.closed) {
      this.o.logger.warn({ kind }, 'mail dropped: the server is shutting down')
      return
    }
    this.queue.push({ kind, make, attempt: 0 })
    this.pump()
  }

  /** Resolves once everything queued so far is delivered or given up (retries waiting count as pending). */
  async idle(): Promise<void> {
    while (this.pumping || this.queue.length > 0 || this.timers.size > 0) {
      await (this.pumping ?? new Promise((r) => setTimeout(r, 20)))
    }
  }

  /** The outbox, newest first. */
  async outbox(limit = this.keep): Promise<OutboxMessage[]> {
    const rows = await this.o.db.select().from(mailOutbox).orderBy(sql`${mailOutbox.id} DESC`).limit(limit)
    return rows.map((r) => ({ id: r.id, to: r.toAddress, subject: r.subject, body: r.body, createdAt: r.createdAt.toISOString() }))
  }

  async close(): Promise<void> {
    this.closed = true
    const waiting = this.timers.size
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    if (waiting > 0) this.o.logger.warn({ waiting }, 'mail waiting for a retry dropped at shutdown')
    if (this.pumping) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([this.pumping, new Promise((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))])
      clearTimeout(timer)
    }
    const left = this.queue.splice(0).length
    if (left > 0) this.o.logger.warn({ left }, 'mail not sent before shutdown')
    const transport = await this.transport?.catch(() => null)
    transport?.close()
  }

  private pump(): void {
    this.pumping ??= (async () => {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) await this.run(job)
    })().finally(() => {
      this.pumping = null
      if (this.queue.length > 0 && !this.closed) this.pump()
    })
  }

  private async run(job: Job): Promise<void> {
    let mail: Mail | null
    try {
      mail = await job.make()
    } catch (err) {
      this.o.logger.error({ kind: job.kind, err: safeError(err) }, 'mail not composed')
      return
    }
    if (!mail) return
    // Composed once: a retry sends the same message (the link it holds is already issued).
    job.make = async () => mail
    if (!this.o.smtpUrl) return this.keepInOutbox(job.kind, mail)
    try {
      const transport = await this.smtpTransport(this.o.smtpUrl)
      await transport.sendMail({ from: this.o.from, to: mail.to, subject: mail.subject, text: mail.text })
      this.o.logger.info({ kind: job.kind }, 'mail sent')
    } catch (err) {
      this.retry(job, err)
    }
  }

  private retry(job: Job, err: unknown): void {
    const delay = this.retryDelays[job.attempt]
    if (delay === undefined || this.closed) {
      this.o.logger.error({ kind: job.kind, attempts: job.attempt + 1, err: safeError(err) }, 'mail not sent: giving up')
      return
    }
    this.o.logger.warn({ kind: job.kind, attempt: job.attempt + 1, retryInMs: delay, err: safeError(err) }, 'mail not sent: will retry')
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (this.closed) return
      this.queue.push({ ...job, attempt: job.attempt + 1 })
      this.pump()
    }, delay)
    timer.unref()
    this.timers.add(timer)
  }

  /**
   * No SMTP: the outbox. This log line carries the whole message, links
   * included, on purpose: it is how an operator without SMTP gets a reset
   * link to a user (docs/SECURITY.md). With SMTP_URL set, nothing is logged
   * but the kind.
   */
  private async keepInOutbox(kind: MailKind, mail: Mail): Promise<void> {
    this.o.logger.info({ kind, mail: { to: mail.to, subject: mail.subject, text: mail.text } }, 'mail kept in the outbox (SMTP_URL is not set)')
    try {
      const [row] = await this.o.db.insert(mailOutbox).values({ toAddress: mail.to, subject: mail.subject, body: mail.text }).returning({ id: mailOutbox.id })
      await this.o.db.delete(mailOutbox).where(lt(mailOutbox.id, row!.id - this.keep + 1))
    } catch (err) {
      this.o.logger.warn({ kind, err: safeError(err) }, 'mail not stored in the outbox')
    }
  }
}
