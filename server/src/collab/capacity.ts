// A board's capacity: how many people at once hold their own role on it.
// Past it a newcomer is seated as a reader (told why) instead of refused.
import type { Role } from '../../../shared/capabilities.js'
import type { CapacityNotice } from '../../../shared/session.js'
import type { Connection } from './connection.js'

export interface Seat {
  role: Role
  notice?: CapacityNotice
}

/**
 * The seat for `key` with `role`. `online` is who is on the board on every
 * instance (it is changed); `conns` are this instance's connections to it.
 * The owner always gets its role, a reader needs no seat; someone already
 * seated with their own role keeps it in another tab, while someone seated
 * as a reader by capacity takes no seat and gets none by opening a tab.
 */
export function seatFor(role: Role, key: string, cap: number, online: Set<string>, conns: Iterable<Connection>): Seat {
  if (role === 'owner' || role === 'reader') return { role }
  const here = [...conns].filter((c) => c.identity)
  const full = new Set(here.filter((c) => !c.identity!.capacity).map((c) => c.principalKey))
  const limited = new Set(here.filter((c) => c.identity!.capacity).map((c) => c.principalKey))
  for (const k of full) online.add(k)
  for (const k of limited) if (!full.has(k)) online.delete(k)
  if (full.has(key) || (online.has(key) && !limited.has(key))) return { role }
  online.delete(key)
  return online.size < cap ? { role } : { role: 'reader', notice: { capacity: cap, role } }
}
