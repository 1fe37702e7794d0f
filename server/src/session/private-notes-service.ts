// Private mode: while it is on, people's new notes go to the server and are
// kept for their author alone (not in the shared document, never sent to
// anyone else) until a facilitator reveals them. The reveal writes each
// author's notes into the live document as that author (their own client
// id, through the update guard with their role and the host's guest limits),
// so they appear attributed to whoever wrote them.
import { and, eq, isNull } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import type { PrivateNote } from '../../../shared/session.js'
import { loadActiveGuest, loadUser, principalSummary, type ResolvedPrincipal } from '../auth/principals.js'
import { ActivityType, recordActivity } from '../boards/activity.js'
import type { BoardWriter } from '../boards/board-writer.js'
import type { BoardService } from '../boards/board-service.js'
import { actorOf, type Deps } from '../boards/deps.js'
import { badRequest, conflict, notFound } from '../errors.js'
import { updateTowards, type Wanted } from '../history/replay.js'
import { boards, privateNotes } from '../store/schema.js'

/** What one note may hold: it becomes an element on the board. */
export const MAX_NOTE_BYTES = 64 * 1024
export const MAX_NOTES_PER_PERSON = 200
const ID = /^[A-Za-z0-9_-]{1,128}$/

export class PrivateNotesService {
  constructor(
    private readonly d: Deps,
    private readonly boards: BoardService,
    private readonly writer: BoardWriter,
  ) {}

  /** Turns private mode on or off (facilitators); the board's `privateNotes` says which. */
  async setMode(principal: ResolvedPrincipal, boardId: string, on: boolean): Promise<void> {
    await this.boards.access(principal, boardId, 'session.facilitate')
    await this.d.db.update(boards).set({ privateNotes: on }).where(eq(boards.id, boardId))
    this.d.changes.record({ type: 'board.updated', boardId })
  }

  /** Your own notes not revealed yet, and how many others have written (not what). */
  async mine(principal: ResolvedPrincipal, boardId: string): Promise<{ notes: PrivateNote[]; others: number }> {
    await this.boards.access(principal, boardId, 'board.view')
    const me = actorOf(principal)
    const rows = await this.d.db.select().from(privateNotes).where(and(eq(privateNotes.boardId, boardId), isNull(privateNotes.revealedAt)))
    const own = rows.filter((r) => r.authorKind === me.kind && r.authorId === me.id)
    return { notes: own.map(present), others: rows.length - own.length }
  }

  async add(principal: ResolvedPrincipal, boardId: string, element: Record<string, unknown>): Promise<PrivateNote> {
    const access = await this.boards.access(principal, boardId, 'vote.cast')
    if (!access.board.privateNotes) throw conflict('Private mode is off: draw on the board')
    checkElement(element)
    const me = actorOf(principal)
    const count = (await this.d.db.select({ id: privateNotes.id }).from(privateNotes).where(and(eq(privateNotes.boardId, boardId), eq(privateNotes.authorKind, me.kind), eq(privateNotes.authorId, me.id), isNull(privateNotes.revealedAt)))).length
    if (count >= MAX_NOTES_PER_PERSON) throw conflict(`At most ${MAX_NOTES_PER_PERSON} private notes each`)
    const [row] = await this.d.db
      .insert(privateNotes)
      .values({ id: nanoid(), boardId, authorKind: me.kind, authorId: me.id, authorName: me.name, element })
      .returning()
    return present(row!)
  }

  /** Changes or deletes one of your own unrevealed notes (someone else's is "not found"). */
  async change(principal: ResolvedPrincipal, boardId: string, noteId: string, element: Record<string, unknown> | null): Promise<PrivateNote | null> {
    await this.boards.access(principal, boardId, 'vote.cast')
    const me = actorOf(principal)
    const own = and(eq(privateNotes.id, noteId), eq(privateNotes.boardId, boardId), eq(privateNotes.authorKind, me.kind), eq(privateNotes.authorId, me.id), isNull(privateNotes.revealedAt))
    if (element === null) {
      const gone = await this.d.db.delete(privateNotes).where(own).returning({ id: privateNotes.id })
      if (!gone.length) throw notFound('Note')
      return null
    }
    checkElement(element)
    const [row] = await this.d.db.update(privateNotes).set({ element }).where(own).returning()
    if (!row) throw notFound('Note')
    return present(row)
  }

  /**
   * Puts every unrevealed note on the board, each author's as that author,
   * and ends private mode. Authors who lost access meanwhile, or whose notes
   * the guard refuses (a guest limit), keep theirs unrevealed.
   */
  async reveal(principal: ResolvedPrincipal, boardId: string): Promise<{ revealed: number; kept: number }> {
    await this.boards.access(principal, boardId, 'session.facilitate')
    const rows = await this.d.db.select().from(privateNotes).where(and(eq(privateNotes.boardId, boardId), isNull(privateNotes.revealedAt)))
    const byAuthor = new Map<string, typeof rows>()
    for (const r of rows) byAuthor.set(`${r.authorKind}:${r.authorId}`, [...(byAuthor.get(`${r.authorKind}:${r.authorId}`) ?? []), r])
    let revealed = 0
    for (const notes of byAuthor.values()) {
      const author = await this.principalOf(notes[0]!.authorKind, notes[0]!.authorId)
      if (!author) continue
      const access = await this.d.policy.access(this.d.db, author, boardId)
      const role = access.role
      if (!role || !this.d.policy.can(access, 'markup.write')) continue
      // Editors' notes go among the shapes, reviewers' into their own markup.
      const root = this.d.policy.can(access, 'content.write') ? 'shapes' : 'markup'
      const who = principalSummary(author)
      const result = await this.writer.writeAs(boardId, author, role, (doc) => {
        const existing = doc.getMap<unknown>(root)
        const entries = new Map<string, unknown>()
        for (const n of notes) {
          const id = String(n.element.id)
          if (existing.has(id)) continue
          // The map key is the id; the author is who wrote it, whatever the note claimed.
          const { id: _id, ...fields } = { ...n.element, author: { kind: who.kind, id: who.id, name: who.name } } as Record<string, unknown>
          entries.set(id, fields)
        }
        const wanted: Wanted = new Map([[root, entries]])
        return updateTowards(doc, wanted)
      })
      if (!result.ok) {
        this.d.logger.info({ boardId, author: who.kind, reason: result.reason }, 'private notes kept: the board refused them')
        continue
      }
      await this.d.db.update(privateNotes).set({ revealedAt: new Date() }).where(and(eq(privateNotes.boardId, boardId), eq(privateNotes.authorKind, who.kind), eq(privateNotes.authorId, who.id), isNull(privateNotes.revealedAt)))
      revealed += notes.length
    }
    await this.d.db.update(boards).set({ privateNotes: false }).where(eq(boards.id, boardId))
    await recordActivity(this.d.db, boardId, ActivityType.notesRevealed, actorOf(principal), { notes: revealed })
    const s = principalSummary(principal)
    this.d.changes.record({ type: 'board.updated', boardId })
    this.d.changes.record({ type: 'notes.revealed', boardId, notes: revealed, by: { kind: s.kind, id: s.id, name: s.name, guest: s.kind === 'guest' } })
    return { revealed, kept: rows.length - revealed }
  }

  private async principalOf(kind: 'user' | 'guest', id: string): Promise<ResolvedPrincipal | null> {
    if (kind === 'user') {
      const user = await loadUser(this.d.db, id)
      return user ? { kind: 'user', user } : null
    }
    const guest = await loadActiveGuest(this.d.db, id)
    return guest && guest !== 'revoked' ? { kind: 'guest', guest } : null
  }
}

function checkElement(element: Record<string, unknown>): void {
  if (typeof element.id !== 'string' || !ID.test(element.id)) throw badRequest('element.id: 1-128 letters, digits, - or _')
  if (typeof element.type !== 'string' || !/^[a-z]{1,32}$/.test(element.type)) throw badRequest('element.type: an element type')
  if (Buffer.byteLength(JSON.stringify(element)) > MAX_NOTE_BYTES) throw badRequest(`element: at most ${MAX_NOTE_BYTES} bytes`)
}

function present(r: typeof privateNotes.$inferSelect): PrivateNote {
  return { id: r.id, element: r.element, createdAt: r.createdAt.toISOString() }
}
