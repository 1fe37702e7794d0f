// A real SMTP server for mail tests (the smtp-server package on port 0) that
// keeps what it receives.
import { createServer } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  subject: string
  /** The body, transfer encoding undone. */
  text: string
}

export interface TestSmtp {
  url: string
  received: ReceivedMail[]
  /** Refuses the next `n` messages with a temporary error (451). */
  refuseNext(n: number): void
  /** The first message (received or still to come) that `match` accepts; fails after 15 s. */
  waitFor(match: (m: ReceivedMail) => boolean, what?: string): Promise<ReceivedMail>
  /** Messages sent to `address`. */
  to(address: string): ReceivedMail[]
  close(): Promise<void>
}

function decodeQuotedPrintable(body: string): string {
  const bytes = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1')
  return bytes.toString('utf8')
}

function decodeHeader(value: string): string {
  // Whitespace between two encoded words is folding, not text (RFC 2047).
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')),
  )
}

/** Enough of RFC 5322 for the single-part plain-text mail the server sends. */
export function parseMail(raw: string, envelope: { from: string; to: string[] }): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ')
  const body = raw.slice(split + 4)
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? ''
  const encoding = header('Content-Transfer-Encoding').toLowerCase()
  const text = encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body
  return { ...envelope, subject: decodeHeader(header('Subject')), text: text.replace(/\r\n/g, '\n') }
}

export async function startSmtp(): Promise<TestSmtp> {
  const received: ReceivedMail[] = []
  let refusals = 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (refusals > 0) {
          refusals--
          const err = Object.assign(new Error('Try again later'), { responseCode: 451 })
          return callback(err)
        }
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        }
        received.push(parseMail(Buffer.concat(chunks).toString('utf8'), envelope))
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as { port: number }).port
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    refuseNext: (n) => void (refusals = n),
    to: (address) => received.filter((m) => m.to.includes(address)),
    async waitFor(match, what = 'a matching mail') {
      for (let waited = 0; waited < 15_000; waited += 20) {
        const found = received.find(match)
        if (found) return found
        await new Promise((r) => setTimeout(r, 20))
      }
      throw new Error(`no mail arrived: ${what} (received: ${received.map((m) => `${m.to.join(',')} "${m.subject}"`).join('; ') || 'none'})`)
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** An address nothing listens on: a port taken from the system and let go. */
export async function deadSmtpUrl(): Promise<string> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return `smtp://127.0.0.1:${port}`
}

/** The link in a mail's text that starts with `prefix`. */
export function linkIn(mail: ReceivedMail, prefix: string): string {
  const link = mail.text.split(/\s+/).find((w) => w.startsWith(prefix))
  if (!link) throw new Error(`no ${prefix}… link in:\n${mail.text}`)
  return link
}

/** The token of a `…#token=` link. */
export const tokenOf = (link: string): string => new URL(link).hash.replace(/^#token=/, '')
