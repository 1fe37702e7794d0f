// One delivery attempt: the body signed the Standard Webhooks way
// (webhook-id, webhook-timestamp, webhook-signature over "id.timestamp.body"
// with the webhook's secret, by the `standardwebhooks` library), POSTed to the
// address the policy checked a moment ago. Redirects are not followed (a 3xx
// is a failed attempt): a redirect could point anywhere.
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { Webhook } from 'standardwebhooks'
import type { WebhookAttemptRow } from '../store/schema.js'
import { type AddressPolicy, type CheckedTarget, TargetRefused } from './address-policy.js'

/** How much of a response body the delivery log keeps. */
export const RESPONSE_BODY_MAX = 1024
const USER_AGENT = 'Drawbridge-Webhooks/1'

export interface Message {
  id: string
  url: string
  secret: string
  payload: string
}

export interface SendOptions {
  policy: AddressPolicy
  timeoutMs: number
}

export function signatureHeaders(message: Pick<Message, 'id' | 'secret' | 'payload'>, at: Date): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000)
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': new Webhook(message.secret).sign(message.id, at, message.payload),
  }
}

/** Sends once; never throws: whatever happened is in the attempt (`ok`: a 2xx answer). */
export async function send(message: Message, options: SendOptions): Promise<{ ok: boolean; attempt: WebhookAttemptRow }> {
  const started = Date.now()
  const at = new Date(started)
  const done = (statusCode: number | null, body: string | null, error: string | null) => ({
    ok: statusCode !== null && statusCode >= 200 && statusCode < 300,
    attempt: { at: at.toISOString(), statusCode, body, durationMs: Date.now() - started, error },
  })
  let target: CheckedTarget
  try {
    target = await options.policy.check(message.url)
  } catch (err) {
    return done(null, null, err instanceof TargetRefused ? err.message : 'The webhook URL could not be checked')
  }
  try {
    const { statusCode, body } = await post(target, message, at, options.timeoutMs)
    return done(statusCode, body, null)
  } catch (err) {
    return done(null, null, err instanceof Error ? err.message : String(err))
  }
}

function post(target: CheckedTarget, message: Message, at: Date, timeoutMs: number): Promise<{ statusCode: number; body: string }> {
  // The connection goes to the checked address whatever the resolver would say now.
  const pinned: LookupFunction = (_hostname, opts, callback) => {
    if (opts.all) callback(null, [{ address: target.address, family: target.family }])
    else callback(null, target.address, target.family)
  }
  const transport = target.url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const body = Buffer.from(message.payload, 'utf8')
    const req = transport.request(target.url, {
      method: 'POST',
      lookup: pinned,
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': USER_AGENT,
        ...signatureHeaders(message, at),
      },
    })
    const timer = setTimeout(() => req.destroy(new Error(`No answer within ${timeoutMs} ms`)), timeoutMs)
    req.on('error', (err) => {
      clearTimeout(timer)
      reject(new Error(describe(err)))
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      let size = 0
      const finish = () => {
        clearTimeout(timer)
        resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BODY_MAX) })
      }
      res.on('data', (chunk: Buffer) => {
        if (size < RESPONSE_BODY_MAX) chunks.push(chunk.subarray(0, RESPONSE_BODY_MAX - size))
        size += chunk.length
        // Enough for the log: the rest is not read.
        if (size >= RESPONSE_BODY_MAX) {
          res.destroy()
          finish()
        }
      })
      res.on('end', finish)
      res.on('error', () => finish())
    })
    req.end(body)
  })
}

/** A network error in words, without anything from the request (no header, no body). */
function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return code ? `${code}: ${err.message}` : err.message
}
