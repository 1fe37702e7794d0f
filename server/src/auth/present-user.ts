import type { User } from '../../../shared/types.js'
import type { UserRow } from './principals.js'

/** A user row as the API shows it (never the password hash or token version). */
export function presentUser(u: UserRow): User {
  return { id: u.id, email: u.email, name: u.name, plan: u.plan, emailVerified: u.emailVerifiedAt !== null }
}
