import type { Logger } from 'pino'
import type { ResolvedPrincipal } from '../auth/principals.js'
import type { TokenService } from '../auth/tokens.js'
import type { SignalTransport } from '../bus/signals.js'
import type { Config } from '../config.js'
import type { Db } from '../store/db.js'
import type { Actor } from './activity.js'
import type { Policy } from './policy.js'

/** Who is online on which board; the collaboration hub answers, or nobody is. */
export interface PresenceLookup {
  onlinePrincipals(boardId: string): Promise<Set<string>>
}

/** What every domain service needs; built once in app.ts. */
export interface Deps {
  db: Db
  policy: Policy
  tokens: TokenService
  config: Config
  signals: SignalTransport
  logger: Logger
  presence: PresenceLookup
}

export const principalKey = (kind: string, id: string) => `${kind}:${id}`

export function actorOf(p: ResolvedPrincipal): Actor {
  return p.kind === 'user'
    ? { kind: 'user', id: p.user.id, name: p.user.name }
    : { kind: 'guest', id: p.guest.id, name: p.guest.name }
}
