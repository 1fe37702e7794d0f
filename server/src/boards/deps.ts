import type { Logger } from 'pino'
import { principalSummary, type ResolvedPrincipal } from '../auth/principals.js'
import type { TokenService } from '../auth/tokens.js'
import type { Config } from '../config.js'
import type { Changes } from '../domain/changes.js'
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
  /** What changed, after each commit (see domain/changes.ts). */
  changes: Changes
  logger: Logger
  presence: PresenceLookup
}

/** The activity log's actor: the principal with its name. */
export const actorOf = (p: ResolvedPrincipal): Actor => principalSummary(p)
