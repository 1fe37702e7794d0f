// The guard's client id → principal map: a Yjs client id belongs to whoever
// first edited with it on the board, on any instance.
import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from './db.js'
import type { Owner } from './doc-log.js'
import { clientIds } from './schema.js'
import { preparedOn, UNNAMED } from './prepared.js'

/**
 * Who owns which client id on the board. Loaded apart from the document:
 * the map only ever grows (claims are never undone), so reading it a moment
 * later is as good, and a joiner gets its first bytes without waiting.
 */
export async function loadOwners(db: Db, boardId: string): Promise<Map<number, Owner>> {
  const owned = await db
    .select({ clientId: clientIds.clientId, kind: clientIds.principalKind, id: clientIds.principalId })
    .from(clientIds)
    .where(eq(clientIds.boardId, boardId))
  return new Map(owned.map((o) => [o.clientId, { kind: o.kind, id: o.id }]))
}

/**
 * Claims client ids for a principal unless someone already has them, and
 * answers who owns each. The primary key makes the first claim win, on any
 * instance.
 */
export async function claimClientIds(db: Db, boardId: string, ids: number[], owner: Owner): Promise<Map<number, Owner>> {
  const { kind, id } = owner
  // Every client's first edit on a board claims its id, so this is on the
  // path of many first edits at once (a class joining). Nearly always the
  // ids are free: one statement, built once, answers which ones we got;
  // the owners of the others are read only when there are others.
  const won =
    ids.length === 1
      ? await preparedOn(db, 'claim-one', (d) =>
          d
            .insert(clientIds)
            .values({ boardId: sql.placeholder('boardId'), clientId: sql.placeholder('clientId'), principalKind: sql.placeholder('kind'), principalId: sql.placeholder('id') })
            .onConflictDoNothing()
            .returning({ clientId: clientIds.clientId })
            .prepare(UNNAMED),
        ).execute({ boardId, clientId: ids[0], kind, id })
      : await db
          .insert(clientIds)
          .values(ids.map((clientId) => ({ boardId, clientId, principalKind: kind, principalId: id })))
          .onConflictDoNothing()
          .returning({ clientId: clientIds.clientId })
  const owners = new Map<number, Owner>(won.map((r) => [r.clientId, { kind, id }]))
  const others = ids.filter((c) => !owners.has(c))
  if (others.length === 0) return owners
  const rows = await db
    .select({ clientId: clientIds.clientId, kind: clientIds.principalKind, id: clientIds.principalId })
    .from(clientIds)
    .where(and(eq(clientIds.boardId, boardId), inArray(clientIds.clientId, others)))
  for (const r of rows) owners.set(r.clientId, { kind: r.kind, id: r.id })
  return owners
}
