// Files that board elements refer to (images): uploaded by registered
// editors over HTTP, stored per board under the id the client gave them
// (Excalidraw's content hash), typed by what their bytes are (never by what
// the request says), and served to whoever may see the board.
import { and, eq, sql } from 'drizzle-orm'
import { fileTypeFromBuffer } from 'file-type'
import { ErrorCode } from '../../../shared/constants.js'
import { principalRef, type ResolvedPrincipal } from '../auth/principals.js'
import { AppError, badRequest, notFound } from '../errors.js'
import type { DbOrTx } from '../store/db.js'
import { boardFiles } from '../store/schema.js'
import type { Deps } from './deps.js'

/** What may be stored: pictures a browser shows without running anything (no SVG). */
export const FILE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp']
export const FILE_ID = /^[A-Za-z0-9_-]{1,128}$/

export interface StoredFile {
  id: string
  mimeType: string
  size: number
}

export interface FileLimits {
  /** Largest file. */
  maxFileBytes: number
  /** All files of one board together. */
  maxBoardBytes: number
}

/** The type the bytes are, if it is one we store; otherwise a 415. */
export async function sniffImage(data: Uint8Array): Promise<string> {
  const type = await fileTypeFromBuffer(data)
  if (!type || !FILE_TYPES.includes(type.mime)) {
    throw new AppError(415, ErrorCode.unsupportedMediaType, `files must be PNG, JPEG, GIF or WebP images${type ? ` (this is ${type.mime})` : ''}`)
  }
  return type.mime
}

/**
 * Stores a file for a board; the same id twice keeps the first (ids are
 * content hashes, so the second is the same bytes). `fresh` is false when it
 * was there already.
 */
export async function storeFile(
  db: DbOrTx,
  boardId: string,
  id: string,
  data: Uint8Array,
  by: ResolvedPrincipal,
  limits: FileLimits,
): Promise<{ file: StoredFile; fresh: boolean }> {
  if (!FILE_ID.test(id)) throw badRequest('file id must be 1-128 letters, digits, - or _')
  if (data.length > limits.maxFileBytes) throw new AppError(413, ErrorCode.tooLarge, `files may be at most ${limits.maxFileBytes} bytes`)
  const mimeType = await sniffImage(data)
  const [existing] = await db
    .select({ id: boardFiles.id, mimeType: boardFiles.mimeType, size: boardFiles.size })
    .from(boardFiles)
    .where(and(eq(boardFiles.boardId, boardId), eq(boardFiles.id, id)))
  if (existing) return { file: existing, fresh: false }
  const [used] = await db
    .select({ bytes: sql<string | number>`COALESCE(SUM(${boardFiles.size}), 0)` })
    .from(boardFiles)
    .where(eq(boardFiles.boardId, boardId))
  if (Number(used?.bytes ?? 0) + data.length > limits.maxBoardBytes) {
    throw new AppError(413, ErrorCode.tooLarge, `this board's files may take at most ${limits.maxBoardBytes} bytes; delete some images first`)
  }
  const who = principalRef(by)
  await db
    .insert(boardFiles)
    .values({ boardId, id, mimeType, size: data.length, data, createdByKind: who.kind, createdById: who.id })
    .onConflictDoNothing()
  return { file: { id, mimeType, size: data.length }, fresh: true }
}

export class FileService {
  constructor(
    private readonly d: Deps,
    private readonly limits: FileLimits,
  ) {}

  async upload(principal: ResolvedPrincipal, boardId: string, id: string, data: Uint8Array): Promise<{ file: StoredFile; fresh: boolean }> {
    const access = await this.d.policy.access(this.d.db, principal, boardId)
    this.d.policy.authorize(access, 'file.upload')
    return storeFile(this.d.db, boardId, id, data, principal, this.limits)
  }

  async read(principal: ResolvedPrincipal, boardId: string, id: string): Promise<{ mimeType: string; data: Uint8Array }> {
    const access = await this.d.policy.access(this.d.db, principal, boardId)
    this.d.policy.authorize(access, 'board.view')
    const [row] = await this.d.db
      .select({ mimeType: boardFiles.mimeType, data: boardFiles.data })
      .from(boardFiles)
      .where(and(eq(boardFiles.boardId, boardId), eq(boardFiles.id, id)))
    if (!row) throw notFound('File')
    return { mimeType: row.mimeType, data: new Uint8Array(row.data) }
  }
}

/** Every file of a board (export, duplicate). */
export async function boardFilesOf(db: DbOrTx, boardId: string): Promise<{ id: string; mimeType: string; data: Uint8Array }[]> {
  const rows = await db.select({ id: boardFiles.id, mimeType: boardFiles.mimeType, data: boardFiles.data }).from(boardFiles).where(eq(boardFiles.boardId, boardId))
  return rows.map((r) => ({ id: r.id, mimeType: r.mimeType, data: new Uint8Array(r.data) }))
}
