// Export a board (JSON of shapes, markup, meta and comments, or the binary
// Yjs state) and import either into a new board.
import { nanoid } from 'nanoid'
import * as Y from 'yjs'
import { DOC_ROOTS, type DocRoot } from '../../../shared/constants.js'
import type { Board, Thread } from '../../../shared/types.js'
import type { ResolvedPrincipal, UserRow } from '../auth/principals.js'
import { checkUpdate, rootNamesOf } from '../collab/guard.js'
import { badRequest, guestForbidden } from '../errors.js'
import { boards, clientIds, comments, docSnapshots } from '../store/schema.js'
import { ActivityType, recordActivity } from './activity.js'
import { checkTitle, permanentTitle } from './board-service.js'
import { actorOf, type Deps } from './deps.js'
import type { DocumentSource } from './lifecycle-service.js'
import { loadBoard } from './policy.js'
import { presentBoard } from './present.js'

export const EXPORT_FORMAT = 'drawbridge.board'
export const EXPORT_VERSION = 1

export interface BoardExport {
  format: typeof EXPORT_FORMAT
  version: typeof EXPORT_VERSION
  exportedAt: string
  board: { title: string }
  document: Record<DocRoot, Record<string, unknown>>
  comments: Thread[]
}

function emptyDoc(): Y.Doc {
  const doc = new Y.Doc()
  for (const root of DOC_ROOTS) doc.getMap(root)
  return doc
}

export class TransferService {
  constructor(
    private readonly d: Deps,
    private readonly documents: DocumentSource,
    private readonly listComments: (principal: ResolvedPrincipal, boardId: string) => Promise<Thread[]>,
  ) {}

  /**
   * Owner and member editors; on a temporary (ownerless) board everyone on
   * it, so a guest can keep its work even if nobody claims the board.
   */
  private async exportAccess(principal: ResolvedPrincipal, boardId: string) {
    const access = await this.d.policy.access(this.d.db, principal, boardId)
    const entry = this.d.policy.entryRefusal(access)
    if (entry) throw entry
    if (access.board.ownerId === null) return access
    this.d.policy.authorize(access, 'board.export')
    return access
  }

  async exportYjs(principal: ResolvedPrincipal, boardId: string): Promise<{ data: Uint8Array; title: string }> {
    const access = await this.exportAccess(principal, boardId)
    const state = (await this.documents.currentState(boardId)) ?? Y.encodeStateAsUpdate(emptyDoc())
    return { data: state, title: access.board.title }
  }

  async exportJson(principal: ResolvedPrincipal, boardId: string): Promise<BoardExport> {
    const access = await this.exportAccess(principal, boardId)
    const doc = emptyDoc()
    const state = await this.documents.currentState(boardId)
    if (state) Y.applyUpdate(doc, state)
    const document = Object.fromEntries(DOC_ROOTS.map((r) => [r, doc.getMap(r).toJSON()])) as BoardExport['document']
    doc.destroy()
    return {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exportedAt: new Date().toISOString(),
      board: { title: permanentTitle(access.board.title) },
      document,
      comments: await this.listComments(principal, boardId),
    }
  }

  /** A new board owned by the caller, from a JSON export. */
  async importJson(principal: ResolvedPrincipal, input: BoardExport): Promise<Board> {
    const user = this.importer(principal)
    const doc = emptyDoc()
    doc.transact(() => {
      for (const root of DOC_ROOTS) {
        const target = doc.getMap(root)
        for (const [key, value] of Object.entries(input.document[root] ?? {})) {
          // Entries of shapes and markup are maps (the board schema); their
          // values, and meta's, stay plain JSON, so export(import(x)) is x.
          const isEntry = root !== 'meta' && value !== null && typeof value === 'object' && !Array.isArray(value)
          target.set(key, isEntry ? new Y.Map(Object.entries(value as Record<string, unknown>)) : value)
        }
      }
    })
    const state = Y.encodeStateAsUpdate(doc)
    const clientId = doc.clientID
    doc.destroy()
    return this.create(user, checkTitle(input.board.title), state, [clientId], input.comments ?? [])
  }

  /** A new board owned by the caller, from a binary Yjs state (checked like any update). */
  async importYjs(principal: ResolvedPrincipal, data: Uint8Array, rawTitle: unknown): Promise<Board> {
    const user = this.importer(principal)
    const title = rawTitle === undefined ? 'Imported board' : checkTitle(rawTitle)
    const doc = emptyDoc()
    let clients: number[] = []
    try {
      const { structs } = Y.decodeUpdate(data)
      clients = [...new Set(structs.map((s) => s.id.client))]
    } catch {
      throw badRequest('body is not a Yjs update')
    }
    const owner = `user:${user.id}`
    const verdict = checkUpdate(data, { doc, rootNames: rootNamesOf(doc), owners: new Map(clients.map((c) => [c, owner])), locked: false, archived: false }, {
      principalKey: owner,
      role: 'owner',
      guest: false,
    })
    doc.destroy()
    if (!verdict.ok) throw badRequest(`body is not a valid board document (${verdict.reason})`)
    return this.create(user, title, data, clients, [])
  }

  private importer(principal: ResolvedPrincipal): UserRow {
    if (principal.kind !== 'user') throw guestForbidden('Importing needs a registered account')
    return principal.user
  }

  private async create(user: UserRow, title: string, state: Uint8Array, clients: number[], threads: Thread[]): Promise<Board> {
    const id = nanoid()
    await this.d.db.transaction(async (tx) => {
      await tx.insert(boards).values({ id, title, ownerId: user.id })
      await tx.insert(docSnapshots).values({ boardId: id, data: state, lastSeq: 0 })
      if (clients.length > 0) {
        await tx
          .insert(clientIds)
          .values(clients.map((clientId) => ({ boardId: id, clientId, principalKind: 'user' as const, principalId: user.id })))
      }
      for (const t of threads) {
        const threadId = nanoid()
        const rows = [t, ...(t.replies ?? [])].map((c, i) => ({
          id: i === 0 ? threadId : nanoid(),
          boardId: id,
          threadId: i === 0 ? null : threadId,
          anchor: i === 0 ? t.anchor : null,
          authorKind: c.author.kind,
          authorId: c.author.id,
          authorName: c.author.name,
          body: c.body,
          mentions: c.mentions ?? [],
          resolved: i === 0 ? Boolean(t.resolved) : false,
          createdAt: new Date(c.createdAt),
        }))
        await tx.insert(comments).values(rows)
      }
      await recordActivity(tx, id, ActivityType.created, actorOf({ kind: 'user', user }), { imported: true })
    })
    return presentBoard((await loadBoard(this.d.db, id))!, 'owner')
  }

}
