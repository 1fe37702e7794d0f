// How a principal shows in presence: stamped by the server on every
// awareness state, so nobody can pretend to be someone else.
import type { Role } from '../../../shared/capabilities.js'
import type { PresenceUser } from '../../../shared/types.js'
import { principalId, principalKey, principalName, type ResolvedPrincipal } from '../auth/principals.js'

// Readable on light and dark canvases, distinct enough for a few dozen people.
const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#469990', '#9a6324', '#800000', '#808000', '#000075']

export function presenceColor(key: string): string {
  let h = 2166136261
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619)
  return COLORS[(h >>> 0) % COLORS.length]!
}

export function presenceUser(principal: ResolvedPrincipal, role: Role): PresenceUser {
  return {
    id: principalId(principal),
    name: principalName(principal),
    kind: principal.kind,
    role,
    guest: principal.kind === 'guest',
    color: presenceColor(principalKey(principal)),
  }
}
