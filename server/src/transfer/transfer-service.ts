// Export a board (JSON of shapes, markup, meta and comments, or the binary
// Yjs state) and import either into a new board.
import { nanoid } from 'nanoid'
import * as Y from 'yjs'
import { DOC_ROOTS, type DocRoot } from '../../../shared/constants.js'
import type { Anchor, Board, Thread } from '../../../shared/types.js'
import { principalKey, type ResolvedPrincipal, type UserRow } from '../auth/principals.js'
import { type ImportedComment, importedCommentRow } from '../comments/comment-service.js'
import { AppError, badRequest, guestForbidden } from '../errors.js'
import { ErrorCode } from '../../../shared/constants.js'
import { boards, clientIds, comments, docHistoryBase, docSnapshots } from '../store/schema.js'
import { ActivityType, recordActivity } from '../boards/activity.js'
import { checkTitle, permanentTitle } from '../boards/board-service.js'
import { actorOf, type Deps } from '../boards/deps.js'
import type { DocumentSource } from '../boards/lifecycle-service.js'

/**
 * Checks an imported document the way a live update from the board's owner
 * is checked (the collaboration layer's update guard and limits) and gives
 * back the state to store: built by Yjs, never the uploaded bytes.
 */
export type DocumentImporter = (
  update: Uint8Array,
  principalKey: string,
) => Promise<{ ok: true; state: Uint8Array; clients: number[] } | { ok: false; reason: string; detail: string }>
import { boardFilesOf, FILE_ID, type FileLimits, sniffImage, storeFile } from '../boards/file-service.js'
import { loadBoard } from '../boards/policy.js'
import { presentBoard } from '../boards/present.js'
import { boardDoc } from '../util/y-doc.js'

export const EXPORT_FORMAT = 'drawbridge.board'
export const EXPORT_VERSION = 1

/** What one JSON import may carry (far above what people write on a board). */
export const IMPORT_LIMITS = { threads: 5_000, repliesPerThread: 1_000, comments: 20_000 } as const

export interface ImportedThread extends ImportedComment {
  anchor: Anchor
  resolved?: boolean
  replies?: ImportedComment[]
}

export interface BoardExport {
  format: typeof EXPORT_FORMAT
  version: typeof EXPORT_VERSION
  exportedAt: string
  board: { title: string }
  document: Record<DocRoot, Record<string, unknown>>
  comments: Thread[]
  /** The images elements refer to, by file id, as data URLs (Excalidraw's own file format). */
  files?: Record<string, ExportedFile>
}

export interface ExportedFile {
  mimeType: string
  dataURL: string
}

const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/]*={0,2})$/

/**
 * An import's images, decoded and typed before anything is written (each is
 * sniffed again when stored); a bad one refuses the whole file.
 */
async function importedFiles(files: Record<string, ExportedFile>): Promise<{ id: string; data: Uint8Array }[]> {
  const out: { id: string; data: Uint8Array }[] = []
  for (const [id, f] of Object.entries(files)) {
    if (!FILE_ID.test(id)) throw badRequest(`files.${id.slice(0, 40)}: a file id is 1-128 letters, digits, - or _`)
    const m = DATA_URL.exec(f.dataURL)
    if (!m) throw badRequest(`files.${id}.dataURL: must be a base64 data URL`)
    const data = new Uint8Array(Buffer.from(m[2]!, 'base64'))
    await sniffImage(data).catch((err: Error) => {
      throw badRequest(`files.${id}: ${err.message}`)
    })
    out.push({ id, data })
  }
  return out
}

/** A JSON import as it arrives: comments are whatever the file says until checked. */
export type BoardImport = Omit<BoardExport, 'comments' | 'exportedAt'> & { comments?: ImportedThread[] }

type CommentRow = typeof comments.$inferInsert
// Rows per INSERT statement: well under PostgreSQL's 65,535 parameters.
const INSERT_CHUNK = 1_000

/**
 * Every comment of an import, checked and re-stamped before anything is
 * written: one bad comment refuses the whole file.
 */
function importedComments(threads: ImportedThread[], importer: UserRow): (boardId: string) => CommentRow[] {
  const total = threads.reduce((n, t) => n + 1 + (t.replies?.length ?? 0), 0)
  if (total > IMPORT_LIMITS.comments) throw badRequest(`comments: at most ${IMPORT_LIMITS.comments} comments and replies in all`)
  const now = Date.now()
  const rows = threads.flatMap((t, i) => {
    const threadId = nanoid()
    const head = { ...importedCommentRow(t, `comments[${i}]`, importer, now), id: threadId, threadId: null, anchor: t.anchor, resolved: Boolean(t.resolved) }
    const replies = (t.replies ?? []).map((r, j) => ({
      ...importedCommentRow(r, `comments[${i}].replies[${j}]`, importer, now),
      id: nanoid(),
      threadId,
      anchor: null,
      resolved: false,
    }))
    return [head, ...replies]
  })
  return (boardId) => rows.map((r) => ({ ...r, boardId }))
}

export class TransferService {
  constructor(
    private readonly d: Deps,
    private readonly documents: DocumentSource,
    private readonly importDocument: DocumentImporter,
    private readonly fileLimits: FileLimits,
    private readonly listComments: (principal: ResolvedPrincipal, boardId: string) => Promise<Thread[]>,
  ) {}

  /**
   * Owner and member editors; on a temporary (ownerless) board everyone on
   * it, so a guest can keep its work even if nobody claims the board.
   */
  private async exportAccess(principal: ResolvedPrincipal, boardId: string) {
    const access = await this.d.policy.access(this.d.db, principal, boardId)
    this.d.policy.authorizeExport(access)
    return access
  }

  async exportYjs(principal: ResolvedPrincipal, boardId: string): Promise<{ data: Uint8Array; title: string }> {
    const access = await this.exportAccess(principal, boardId)
    const state = (await this.documents.currentState(boardId)) ?? Y.encodeStateAsUpdate(boardDoc())
    return { data: state, title: access.board.title }
  }

  async exportJson(principal: ResolvedPrincipal, boardId: string): Promise<BoardExport> {
    const access = await this.exportAccess(principal, boardId)
    const doc = boardDoc()
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
      files: Object.fromEntries(
        (await boardFilesOf(this.d.db, boardId)).map((f) => [f.id, { mimeType: f.mimeType, dataURL: `data:${f.mimeType};base64,${Buffer.from(f.data).toString('base64')}` }]),
      ),
    }
  }

  /** A new board owned by the caller, from a JSON export. */
  async importJson(principal: ResolvedPrincipal, input: BoardImport): Promise<Board> {
    const user = this.importer(principal)
    const title = checkTitle(input.board.title, 'board.title')
    const commentRows = importedComments(input.comments ?? [], user)
    const doc = boardDoc()
    let state: Uint8Array
    try {
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
      state = Y.encodeStateAsUpdate(doc)
    } catch (err) {
      // Values nested past what a stack can encode.
      throw badRequest(`document: could not be read as a board (${(err as Error).message})`)
    } finally {
      doc.destroy()
    }
    // The document it makes passes the same checks as a binary import.
    const checked = await this.checkDocument(user, state)
    const files = await importedFiles(input.files ?? {})
    return this.create(user, title, checked.state, checked.clients, commentRows, files, principal)
  }

  /** A new board owned by the caller, from a binary Yjs state (checked like any update). */
  async importYjs(principal: ResolvedPrincipal, data: Uint8Array, rawTitle: unknown): Promise<Board> {
    const user = this.importer(principal)
    const title = rawTitle === undefined ? 'Imported board' : checkTitle(rawTitle)
    const checked = await this.checkDocument(user, data)
    return this.create(user, title, checked.state, checked.clients, () => [])
  }

  /** Through the update guard and its limits, like a live update from the board's owner (see import-document.ts). */
  private async checkDocument(user: UserRow, data: Uint8Array): Promise<{ state: Uint8Array; clients: number[] }> {
    const result = await this.importDocument(data, principalKey({ kind: 'user', id: user.id }))
    if (result.ok) return result
    if (result.reason === 'too_large') throw new AppError(413, ErrorCode.tooLarge, `body: ${result.detail}`)
    throw badRequest(`body is not a valid board document (${result.reason}: ${result.detail.slice(0, 200)})`)
  }

  private importer(principal: ResolvedPrincipal): UserRow {
    if (principal.kind !== 'user') throw guestForbidden('Importing needs a registered account')
    return principal.user
  }

  private async create(
    user: UserRow,
    title: string,
    state: Uint8Array,
    clients: number[],
    commentRows: (boardId: string) => CommentRow[],
    files: { id: string; data: Uint8Array }[] = [],
    principal: ResolvedPrincipal = { kind: 'user', user },
  ): Promise<Board> {
    const id = nanoid()
    await this.d.db.transaction(async (tx) => {
      await tx.insert(boards).values({ id, title, ownerId: user.id })
      await tx.insert(docSnapshots).values({ boardId: id, data: state, lastSeq: 0 })
      // The board's history starts with what was imported.
      await tx.insert(docHistoryBase).values({ boardId: id, data: state, lastSeq: 0 })
      if (clients.length > 0) {
        await tx
          .insert(clientIds)
          .values(clients.map((clientId) => ({ boardId: id, clientId, principalKind: 'user' as const, principalId: user.id })))
      }
      const rows = commentRows(id)
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) await tx.insert(comments).values(rows.slice(i, i + INSERT_CHUNK))
      for (const f of files) await storeFile(tx, id, f.id, f.data, principal, this.fileLimits)
      await recordActivity(tx, id, ActivityType.created, actorOf({ kind: 'user', user }), { imported: true })
    })
    return presentBoard((await loadBoard(this.d.db, id))!, 'owner')
  }

}
