// The document API (docs/API.md, "Document API"): a board's elements as JSON,
// and writes that take the live path. Every write is a Yjs update made
// against the current live document and handed to the board writer as the
// caller, so the update guard, the limits, the log and the broadcast treat
// it exactly like a connected client's update with the caller's role.
import { randomBytes } from 'node:crypto'
import * as Y from 'yjs'
import type { Role } from '../../../shared/capabilities.js'
import { CloseCode, ErrorCode, type RefusalReason, refusalMessages } from '../../../shared/constants.js'
import { principalKey, principalSummary, type ResolvedPrincipal } from '../auth/principals.js'
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors.js'
import { KeyedLock } from '../util/keyed-lock.js'
import type { BoardService } from './board-service.js'
import type { BoardWriter } from './board-writer.js'
import type { Deps } from './deps.js'
import {
  AUTHOR,
  changeElement,
  checkFields,
  ELEMENT_ROOTS,
  type Element,
  elementIn,
  elementsIn,
  type ElementRoot,
  freshClientId,
  locate,
  NEW_ELEMENT_ID,
  putElement,
  updateFrom,
} from './elements.js'

export interface NewElement {
  id?: string
  root?: ElementRoot
  fields: Record<string, unknown>
}

export interface ElementChange {
  set?: Record<string, unknown>
  unset?: string[]
}

/** Elements one request may add. */
export const MAX_NEW_ELEMENTS = 1000
/** Client ids remembered for reuse (board × principal); the oldest are forgotten first. */
const MAX_REMEMBERED_IDS = 10_000

export class DocumentService {
  /** HTTP writes to one board, one at a time on this instance: each is built on the document the previous one left. */
  private readonly lock = new KeyedLock()
  /**
   * The Yjs client id this instance writes with for a principal on a board.
   * Reused so that an integration's thousandth write does not add a
   * thousandth client to the document (each stays in every state vector);
   * safe because only this instance knows it and writes to a board are
   * serialised above. Claimed for the principal by the live path on first
   * use, so the guard counts what it creates as theirs.
   */
  private readonly clientIds = new Map<string, number>()

  constructor(
    private readonly d: Deps,
    private readonly boards: BoardService,
    private readonly writer: BoardWriter,
  ) {}

  async list(principal: ResolvedPrincipal, boardId: string, root: ElementRoot | undefined): Promise<Element[]> {
    await this.boards.access(principal, boardId, 'board.view')
    return this.read(boardId, (doc) => elementsIn(doc, root ? [root] : ELEMENT_ROOTS))
  }

  async get(principal: ResolvedPrincipal, boardId: string, elementId: string, root: ElementRoot | undefined): Promise<Element> {
    await this.boards.access(principal, boardId, 'board.view')
    return this.read(boardId, (doc) => elementIn(doc, found(doc, elementId, root), elementId) ?? missing())
  }

  /** Adds elements, all or none; a reviewer's go to `markup` unless it names a root (and the guard refuses `shapes`). */
  async add(principal: ResolvedPrincipal, boardId: string, elements: NewElement[]): Promise<Element[]> {
    if (elements.length === 0 || elements.length > MAX_NEW_ELEMENTS) throw badRequest(`elements: 1 to ${MAX_NEW_ELEMENTS} elements`)
    const ids = new Set<string>()
    elements.forEach((e, i) => {
      if (e.id !== undefined && !NEW_ELEMENT_ID.test(e.id)) throw badRequest(`elements[${i}].id: 1-128 letters, digits, - or _`)
      if (e.id !== undefined && ids.has(e.id)) throw badRequest(`elements[${i}].id: given twice`)
      if (e.id !== undefined) ids.add(e.id)
      checkFields(e.fields, `elements[${i}].fields`, { create: true })
    })
    const access = await this.writeAccess(principal, boardId)
    const defaultRoot: ElementRoot = this.d.policy.can(access, 'content.write') ? 'shapes' : 'markup'
    const s = principalSummary(principal)
    // The author is whoever wrote it, whatever the body says (as the web app stamps it).
    const author = { id: s.id, kind: s.kind, name: s.name }
    const made: Element[] = elements.map((e) => ({
      id: e.id ?? newElementId(ids),
      root: e.root ?? defaultRoot,
      fields: { ...e.fields, [AUTHOR]: author },
    }))
    await this.write(principal, boardId, access.role!, (live, copy) => {
      for (const e of made) {
        if (locate(live, e.id, undefined)) throw conflict(`An element with id ${e.id} already exists on this board`)
        putElement(copy, e.root, e.id, e.fields)
      }
    })
    return made
  }

  async change(principal: ResolvedPrincipal, boardId: string, elementId: string, root: ElementRoot | undefined, change: ElementChange): Promise<Element> {
    const set = change.set ?? {}
    const unset = change.unset ?? []
    if (Object.keys(set).length === 0 && unset.length === 0) throw badRequest('set or unset: say what to change')
    checkFields(set, 'set', { create: false })
    unset.forEach((key, i) => {
      if (key === 'type') throw badRequest(`unset[${i}]: an element keeps its type`)
      if (key === AUTHOR) throw badRequest(`unset[${i}]: set by the server when the element is created`)
      if (key in set) throw badRequest(`unset[${i}]: also in set`)
    })
    const access = await this.writeAccess(principal, boardId)
    let element: Element | null = null
    await this.write(principal, boardId, access.role!, (live, copy) => {
      const where = found(live, elementId, root)
      if (!elementIn(live, where, elementId)) missing()
      element = { id: elementId, root: where, fields: changeElement(copy, where, elementId, set, unset) }
    })
    return element!
  }

  async remove(principal: ResolvedPrincipal, boardId: string, elementId: string, root: ElementRoot | undefined): Promise<void> {
    const access = await this.writeAccess(principal, boardId)
    await this.write(principal, boardId, access.role!, (live, copy) => {
      const where = found(live, elementId, root)
      if (!elementIn(live, where, elementId)) missing()
      copy.getMap(where).delete(elementId)
    })
  }

  /** Whoever may write anything at all (the weakest write); the guard then decides what. */
  private writeAccess(principal: ResolvedPrincipal, boardId: string) {
    return this.boards.access(principal, boardId, 'markup.write')
  }

  /** Reads the live document itself (loading the board if no one has it open): no copy, whatever the board's size. */
  private async read<T>(boardId: string, use: (doc: Y.Doc) => T): Promise<T> {
    const result = await this.writer.readLive(boardId, use)
    if (!result.ok) throw refusalError(result.code, result.reason)
    return result.value
  }

  /** Makes the update `edit` describes on the live document and writes it as the principal; refusals become HTTP errors. */
  private async write(principal: ResolvedPrincipal, boardId: string, role: Role, edit: (live: Y.Doc, copy: Y.Doc) => void): Promise<void> {
    const key = `${boardId}\n${principalKey(principal)}`
    await this.lock.run(boardId, async () => {
      let clientId = 0
      const result = await this.writer.writeAs(boardId, principal, role, (live) => {
        clientId = this.clientIds.get(key) ?? freshClientId(live)
        return updateFrom(live, clientId, (copy) => edit(live, copy))
      })
      if (!result.ok) throw refusalError(result.code, result.reason)
      if (result.written) this.remember(key, clientId)
    })
  }

  private remember(key: string, clientId: number): void {
    this.clientIds.delete(key)
    this.clientIds.set(key, clientId)
    if (this.clientIds.size > MAX_REMEMBERED_IDS) this.clientIds.delete(this.clientIds.keys().next().value!)
  }
}

function missing(): never {
  throw notFound('Element')
}

/** The root holding the element; 404 when none (or not the one named), 409 when both do and none was named. */
function found(doc: Y.Doc, id: string, root: ElementRoot | undefined): ElementRoot {
  const where = locate(doc, id, root)
  if (where === null) missing()
  if (where === 'both') throw conflict(`Both shapes and markup hold an element ${id}: name one with ?root=`)
  return where
}

function newElementId(taken: Set<string>): string {
  for (;;) {
    const id = randomBytes(15).toString('base64url')
    if (!taken.has(id)) {
      taken.add(id)
      return id
    }
  }
}

/** The live path's refusal (a close code and the guard's reason) as the HTTP answer. */
export function refusalError(code: number, reason: string): AppError {
  if (code === CloseCode.notFound) return notFound('Board')
  if (code === CloseCode.tooLarge) return new AppError(413, ErrorCode.tooLarge, 'The board would grow past the largest a board may be; nothing was changed')
  if (code !== CloseCode.updateRefused) return new AppError(503, ErrorCode.unavailable, 'The board could not be changed right now; try again')
  const message = refusalMessages[reason as RefusalReason] ?? 'The board refused the change.'
  switch (reason as RefusalReason) {
    case 'read_only':
      return forbidden(message)
    case 'locked':
      return forbidden(message, ErrorCode.boardLocked)
    case 'archived':
      return forbidden(message, ErrorCode.boardArchived)
    case 'not_own_markup':
      return forbidden(message, ErrorCode.notOwnMarkup)
    case 'forbidden_shape_type':
      return forbidden(message, ErrorCode.guestForbidden)
    case 'tool_not_allowed':
      return forbidden(message, ErrorCode.toolNotAllowed)
    case 'locked_frame':
      return forbidden(message, ErrorCode.lockedFrame)
    case 'markup_quota':
      return new AppError(413, ErrorCode.markupQuota, message)
    case 'too_complex':
      return new AppError(413, ErrorCode.tooLarge, message)
    default:
      return conflict(`The board refused the change (${reason}); nothing was changed`)
  }
}
