// Comment threads: server-authoritative, authors stamped from the token,
// mentions checked against board membership, notifications for members.
import { and, asc, eq, isNull, or } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import { COMMENT_BODY_MAX } from '../../../shared/constants.js'
import { normalizeDisplayName } from '../../../shared/names.js'
import { textProblem, VISIBLE } from '../../../shared/text.js'
import type { Anchor, Author, Reply, Thread } from '../../../shared/types.js'
import type { ResolvedPrincipal, UserRow } from '../auth/principals.js'
import type { BoardService } from '../boards/board-service.js'
import { principalKey } from '../auth/principals.js'
import type { Deps } from '../boards/deps.js'
import { boardParticipants } from '../boards/participant-service.js'
import type { BoardAccess } from '../boards/policy.js'
import { badRequest, forbidden, notFound } from '../errors.js'
import type { NotificationService } from '../notifications/notification-service.js'
import { comments } from '../store/schema.js'

type Row = typeof comments.$inferSelect

const MENTION = /@\[([^\]\n]{1,64})\]\(user:([A-Za-z0-9_-]{1,64})\)/g

/** NFC; newlines and tabs are text, control, bidi and invisible characters are refused. */
export function checkBody(raw: string, field = 'body'): string {
  const body = raw.normalize('NFC')
  if (body.trim().length === 0) throw badRequest(`${field} must not be empty`)
  if ([...body].length > COMMENT_BODY_MAX) throw badRequest(`${field} must be at most ${COMMENT_BODY_MAX} characters`)
  const problem = textProblem(body, { multiline: true })
  if (problem) throw badRequest(`${field} ${problem}`)
  if (!VISIBLE.test(body)) throw badRequest(`${field} must contain visible text`)
  return body
}

/** A comment as it comes in an export file; only the author's name is used. */
export interface ImportedComment {
  author: { name: string }
  importedAuthor?: string
  body: string
  createdAt: string
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/
// Older than any Drawbridge, or in the future beyond clock skew: not a real export.
const IMPORT_EARLIEST = Date.UTC(2000, 0, 1)
const IMPORT_SKEW_MS = 86_400_000

/**
 * The row of an imported comment, checked like a new one. The author is the
 * importer (whoever wrote it in the file cannot be verified); the name in the
 * file is kept as display text only. Mentions are dropped: nobody is notified
 * or linked by text the importer did not write on this board.
 */
export function importedCommentRow(c: ImportedComment, field: string, importer: UserRow, now = Date.now()) {
  const name = normalizeDisplayName(c.importedAuthor ?? c.author.name)
  if (!name.ok) throw badRequest(`${field}.${c.importedAuthor === undefined ? 'author.name' : 'importedAuthor'} ${name.reason}`)
  const time = ISO_TIME.test(c.createdAt) ? Date.parse(c.createdAt) : Number.NaN
  if (!(time >= IMPORT_EARLIEST && time <= now + IMPORT_SKEW_MS)) {
    throw badRequest(`${field}.createdAt must be an ISO-8601 time between 2000 and now`)
  }
  return {
    authorKind: 'user' as const,
    authorId: importer.id,
    authorName: importer.name,
    importedAuthor: name.name,
    body: checkBody(c.body, `${field}.body`),
    mentions: [] as string[],
    createdAt: new Date(time),
  }
}

export function mentionedIds(body: string): string[] {
  return [...new Set([...body.matchAll(MENTION)].map((m) => m[2]!))]
}

const authorOf = (r: Row): Author => ({ kind: r.authorKind, id: r.authorId, name: r.authorName, guest: r.authorKind === 'guest' })

function presentReply(r: Row): Reply {
  const reply: Reply = { id: r.id, author: authorOf(r), body: r.body, mentions: r.mentions, createdAt: r.createdAt.toISOString() }
  if (r.importedAuthor !== null) reply.importedAuthor = r.importedAuthor
  return reply
}

function presentThread(t: Row, replies: Row[]): Thread {
  return {
    ...presentReply(t),
    anchor: t.anchor as Anchor,
    resolved: t.resolved,
    replies: replies.map(presentReply),
  }
}

export class CommentService {
  constructor(
    private readonly d: Deps,
    private readonly boards: BoardService,
    private readonly notifications: NotificationService,
  ) {}

  async list(principal: ResolvedPrincipal, boardId: string): Promise<Thread[]> {
    await this.boards.access(principal, boardId, 'comment.view')
    const rows = await this.d.db.select().from(comments).where(eq(comments.boardId, boardId)).orderBy(asc(comments.createdAt), asc(comments.id))
    const replies = new Map<string, Row[]>()
    for (const r of rows) if (r.threadId) replies.set(r.threadId, [...(replies.get(r.threadId) ?? []), r])
    return rows.filter((r) => r.threadId === null).map((t) => presentThread(t, replies.get(t.id) ?? []))
  }

  private async thread(boardId: string, threadId: string): Promise<Thread> {
    const rows = await this.d.db
      .select()
      .from(comments)
      .where(and(eq(comments.boardId, boardId), or(eq(comments.id, threadId), eq(comments.threadId, threadId))))
      .orderBy(asc(comments.createdAt), asc(comments.id))
    const head = rows.find((r) => r.id === threadId && r.threadId === null)
    if (!head) throw notFound('Thread')
    return presentThread(head, rows.filter((r) => r.threadId === threadId))
  }

  /** Mentions: members only, never by guests, and only people who can see the board. */
  private async checkMentions(access: BoardAccess, body: string): Promise<string[]> {
    const ids = mentionedIds(body)
    if (ids.length === 0) return ids
    this.d.policy.authorize(access, 'comment.mention')
    const members = await this.memberIds(access)
    const outsiders = ids.filter((id) => !members.has(id))
    if (outsiders.length > 0) throw badRequest(`body mentions someone without access to this board (${outsiders.join(', ')})`)
    return ids
  }

  private async memberIds(access: BoardAccess): Promise<Set<string>> {
    return new Set((await boardParticipants(this.d.db, access)).filter((p) => p.kind === 'user').map((p) => p.id))
  }

  private stamp(p: ResolvedPrincipal) {
    return p.kind === 'user'
      ? { authorKind: 'user' as const, authorId: p.user.id, authorName: p.user.name }
      : { authorKind: 'guest' as const, authorId: p.guest.id, authorName: p.guest.name }
  }

  async create(principal: ResolvedPrincipal, boardId: string, input: { anchor: Anchor; body: string }): Promise<Thread> {
    const access = await this.boards.access(principal, boardId, 'comment.write')
    const body = checkBody(input.body)
    const mentions = await this.checkMentions(access, body)
    const [row] = await this.d.db
      .insert(comments)
      .values({ id: nanoid(), boardId, threadId: null, anchor: input.anchor, body, mentions, ...this.stamp(principal) })
      .returning()
    const thread = presentThread(row!, [])
    this.d.changes.record({ type: 'comment.created', boardId, thread })
    await this.notifyMentions(principal, access, thread.id, mentions, body)
    return thread
  }

  async reply(principal: ResolvedPrincipal, boardId: string, threadId: string, input: { body: string }): Promise<Reply> {
    const access = await this.boards.access(principal, boardId, 'comment.write')
    const before = await this.thread(boardId, threadId)
    const body = checkBody(input.body)
    const mentions = await this.checkMentions(access, body)
    const [row] = await this.d.db
      .insert(comments)
      .values({ id: nanoid(), boardId, threadId, anchor: null, body, mentions, ...this.stamp(principal) })
      .returning()
    this.d.changes.record({ type: 'comment.updated', boardId, thread: { ...before, replies: [...before.replies, presentReply(row!)] } })
    await this.notifyMentions(principal, access, threadId, mentions, body)
    // Everyone who wrote in the thread hears of the reply (members only, not
    // the replier, and not twice for someone it also mentions). Members as of
    // now: someone removed from the board since, or an author id that never
    // had access, hears nothing of it.
    const me = principalKey(principal)
    const authors = [before, ...before.replies]
      .map((c) => c.author)
      .filter((a) => a.kind === 'user' && principalKey(a) !== me && !mentions.includes(a.id))
      .map((a) => a.id)
    const members = authors.length === 0 ? new Set<string>() : await this.memberIds(access)
    const writers = [...new Set(authors)].filter((id) => members.has(id))
    await this.notifications.notify(writers, 'reply', boardId, {
      threadId,
      boardTitle: access.board.title,
      from: this.stamp(principal).authorName,
      excerpt: body.slice(0, 140),
    })
    return presentReply(row!)
  }

  private async notifyMentions(principal: ResolvedPrincipal, access: BoardAccess, threadId: string, mentions: string[], body: string) {
    const self = principal.kind === 'user' ? principal.user.id : null
    await this.notifications.notify(
      mentions.filter((id) => id !== self),
      'mention',
      access.board.id,
      { threadId, boardTitle: access.board.title, from: this.stamp(principal).authorName, excerpt: body.slice(0, 140) },
    )
  }

  /** Editing and deleting: the author, or whoever the rulebook lets moderate (the board owner). */
  private mayModerate(access: BoardAccess, row: Row): boolean {
    const p = access.principal
    const mine = p.kind === 'user' ? row.authorKind === 'user' && row.authorId === p.user.id : row.authorKind === 'guest' && row.authorId === p.guest.id
    return this.d.policy.mayModerateComment(access, mine)
  }

  private async row(boardId: string, id: string, threadId: string | null): Promise<Row> {
    const [r] = await this.d.db
      .select()
      .from(comments)
      .where(and(eq(comments.boardId, boardId), eq(comments.id, id), threadId === null ? isNull(comments.threadId) : eq(comments.threadId, threadId)))
    if (!r) throw notFound(threadId === null ? 'Thread' : 'Reply')
    return r
  }

  async updateThread(principal: ResolvedPrincipal, boardId: string, threadId: string, input: { resolved?: boolean; body?: string }): Promise<Thread> {
    const access = await this.boards.access(principal, boardId, 'comment.write')
    const row = await this.row(boardId, threadId, null)
    const changes: Partial<Row> = {}
    if (input.body !== undefined) {
      if (!this.mayModerate(access, row)) throw forbidden('Only the author or the board owner can edit this comment')
      changes.body = checkBody(input.body)
      changes.mentions = await this.checkMentions(access, changes.body)
      changes.updatedAt = new Date()
    }
    if (input.resolved !== undefined) changes.resolved = input.resolved
    if (Object.keys(changes).length > 0) await this.d.db.update(comments).set(changes).where(eq(comments.id, threadId))
    const thread = await this.thread(boardId, threadId)
    this.d.changes.record({ type: 'comment.updated', boardId, thread })
    return thread
  }

  async updateReply(principal: ResolvedPrincipal, boardId: string, threadId: string, replyId: string, input: { body: string }): Promise<Reply> {
    const access = await this.boards.access(principal, boardId, 'comment.write')
    const row = await this.row(boardId, replyId, threadId)
    if (!this.mayModerate(access, row)) throw forbidden('Only the author or the board owner can edit this comment')
    const body = checkBody(input.body)
    const mentions = await this.checkMentions(access, body)
    const [updated] = await this.d.db.update(comments).set({ body, mentions, updatedAt: new Date() }).where(eq(comments.id, replyId)).returning()
    this.d.changes.record({ type: 'comment.updated', boardId, thread: await this.thread(boardId, threadId) })
    return presentReply(updated!)
  }

  async remove(principal: ResolvedPrincipal, boardId: string, threadId: string, replyId?: string): Promise<void> {
    // Reading is enough to reach this point: a reader's own comments (from
    // when it was a reviewer) are still its to delete.
    const access = await this.boards.access(principal, boardId, 'comment.view')
    const row = await this.row(boardId, replyId ?? threadId, replyId ? threadId : null)
    if (!this.mayModerate(access, row)) throw forbidden('Only the author or the board owner can delete this comment')
    if (replyId) {
      await this.d.db.delete(comments).where(eq(comments.id, replyId))
      this.d.changes.record({ type: 'comment.updated', boardId, thread: await this.thread(boardId, threadId) })
    } else {
      await this.d.db.delete(comments).where(and(eq(comments.boardId, boardId), or(eq(comments.id, threadId), eq(comments.threadId, threadId))))
      this.d.changes.record({ type: 'comment.deleted', boardId, threadId })
    }
  }
}
