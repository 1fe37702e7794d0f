// The update guard: decides, before anything is applied, whether a Yjs update
// from a principal may touch the board document. All or nothing; the server's
// document is only read here, never changed.
//
// It follows DESIGN.md's six steps: decode; client ids must be the sender's
// and continue the server's clocks exactly; every new struct's root is
// resolved (explicit parent, parent item, or inherited from origin /
// rightOrigin); every delete range must hit items the server has; then the
// role decides. Applying, storing and broadcasting are the room's job.
import * as Y from 'yjs'
import type { Role } from '../../../shared/capabilities.js'
import { DOC_ROOTS, type RefusalReason } from '../../../shared/constants.js'
import { writeRights } from '../../../shared/rules.js'
import { DEFAULT_UPDATE_LIMITS, scanUpdate, type UpdateLimits, type UpdateScan } from './update-scan.js'
import { integrationOrder } from './update-slices.js'

export interface GuardSubject {
  /** `user:<id>` or `guest:<id>`: the key client ids are owned by. */
  principalKey: string
  role: Role
  guest: boolean
}

export interface GuardState {
  doc: Y.Doc
  /** Root type → its name in `doc.share`. */
  rootNames: Map<Y.AbstractType<any>, string>
  /** Yjs client id → principal key. */
  owners: Map<number, string>
  locked: boolean
  archived: boolean
}

export type GuardVerdict =
  /**
   * Accepted. `noop`: nothing new (the server already has it all).
   * `clients`: ids that wrote new structs; `ends`: each one's clock after
   * this update. `markupEntries`: ids of the markup entries it writes in or
   * deletes; `deleted`: the live items it deletes.
   */
  | {
      ok: true
      noop: boolean
      clients: number[]
      ends: Map<number, number>
      markupEntries: Y.ID[]
      deleted: Y.Item[]
      /** What the rulebook let the sender write (null for a no-op, which writes nothing). */
      scope: 'anywhere' | 'own_markup' | null
    }
  /** These client ids have no owner yet: claim them for the sender, then ask again. */
  | { ok: false; reason: 'unclaimed'; clients: number[] }
  | { ok: false; reason: RefusalReason; detail: string }

type Struct = Y.Item | Y.GC | Y.Skip

/** Where an item lands. `void`: in collected territory, which Yjs turns into a GC struct. */
type Placement =
  | { kind: 'void' }
  | {
      kind: 'placed'
      root: string
      /** The item holding the root-level entry (itself when it is the entry). */
      entry: Struct
      /** The item whose type directly holds this item; null when the parent is the root. */
      parentItem: Struct | null
      key: string | null
      /** Types between the root and this item (0 for a root-level entry). */
      depth: number
    }

class Refusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    detail: string,
  ) {
    super(detail)
  }
}

/**
 * Deepest nesting of types under a root-level entry. The board's own schema
 * uses two levels; deep nesting made JSON export and clients overflow their
 * stacks.
 */
export const MAX_TYPE_DEPTH = 32
/** Guards the walk itself (origin chains can be long in a list). */
const MAX_WALK = 10_000
const KNOWN_ROOTS = new Set<string>(DOC_ROOTS)

function storeState(doc: Y.Doc, client: number): number {
  return Y.getState(doc.store, client)
}

/** The server's struct containing `id`, if the server has that clock. */
function storeStruct(doc: Y.Doc, id: Y.ID): Y.Item | Y.GC | null {
  const structs = doc.store.clients.get(id.client)
  if (!structs || id.clock >= storeState(doc, id.client)) return null
  return structs[Y.findIndexSS(structs, id.clock)] ?? null
}

class UpdateView {
  /** New (not yet on the server) structs per client, in clock order. */
  readonly fresh = new Map<number, Struct[]>()
  private readonly placements = new Map<Struct, Placement>()
  private readonly typePlacements = new Map<Y.AbstractType<any>, Placement>()

  constructor(private readonly state: GuardState) {}

  findFresh(id: Y.ID): Struct | null {
    const list = this.fresh.get(id.client)
    if (!list) return null
    let lo = 0
    let hi = list.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const s = list[mid]!
      if (id.clock < s.id.clock) hi = mid - 1
      else if (id.clock >= s.id.clock + s.length) lo = mid + 1
      else return s
    }
    return null
  }

  /**
   * A struct `from` refers to, by id: the server's if it has that clock,
   * else one of this update's. Yjs integrates a client's structs in clock
   * order and looks its own references up without waiting, so a reference to
   * a later (or the same) clock of the same client makes Yjs throw halfway
   * through applying: refused.
   */
  find(id: Y.ID, from: Struct): Struct {
    if (id.client === from.id.client && id.clock >= from.id.clock) {
      throw new Refusal('unresolvable', `${from.id.client}:${from.id.clock} refers to a later clock of its own client`)
    }
    const s = storeStruct(this.state.doc, id) ?? this.findFresh(id)
    if (!s) throw new Refusal('unresolvable', `refers to ${id.client}:${id.clock}, which the server does not have`)
    return s
  }

  private placementOfStoreType(type: Y.AbstractType<any>, depth: number): Placement {
    const cached = this.typePlacements.get(type)
    if (cached) return cached
    const holder = type._item
    let p: Placement
    if (holder === null) {
      const root = this.state.rootNames.get(type)
      if (root === undefined) throw new Refusal('unknown_root', 'refers to an unknown root type')
      // Placement of a direct child: the entry is the child itself (filled in by the caller).
      p = { kind: 'placed', root, entry: null as unknown as Struct, parentItem: null, key: null, depth: -1 }
    } else {
      p = this.placementOf(holder, depth + 1)
    }
    this.typePlacements.set(type, p)
    return p
  }

  /** Where `s` sits: root, root-level entry, parent item and map key. */
  placementOf(s: Struct, depth = 0): Placement {
    if (depth > MAX_WALK) throw new Refusal('unresolvable', 'parent chain too deep or circular')
    const cached = this.placements.get(s)
    if (cached) return cached
    let p: Placement
    if (!(s instanceof Y.Item)) {
      p = { kind: 'void' }
    } else if (s.parent instanceof Y.AbstractType) {
      // Integrated (server) item.
      const parentType = s.parent as Y.AbstractType<any>
      const up = this.placementOfStoreType(parentType, depth)
      p = this.child(s, up, parentType._item, s.parentSub)
    } else {
      p = this.placementOfFresh(s, depth)
    }
    this.placements.set(s, p)
    return p
  }

  private child(s: Struct, up: Placement, parentItem: Y.Item | null, key: string | null): Placement {
    if (up.kind === 'void') return up
    if (parentItem === null) return { kind: 'placed', root: up.root, entry: s, parentItem: null, key, depth: 0 }
    return { kind: 'placed', root: up.root, entry: up.entry, parentItem, key, depth: up.depth + 1 }
  }

  /** Mirrors Item.getMissing: how Yjs will place an item from an update. */
  private placementOfFresh(item: Y.Item, depth: number): Placement {
    const left = item.origin ? this.find(item.origin, item) : null
    const right = item.rightOrigin ? this.find(item.rightOrigin, item) : null
    if ((left && !(left instanceof Y.Item)) || (right && !(right instanceof Y.Item))) return { kind: 'void' }
    const parent = item.parent as unknown
    if (parent === null) {
      const sibling = (left ?? right) as Y.Item | null
      if (!sibling) throw new Refusal('unresolvable', 'item without parent, origin or right origin')
      const sp = this.placementOf(sibling, depth + 1)
      if (sp.kind === 'void') return sp
      const key = sibling.parentSub ?? this.inheritedKey(sibling, depth + 1)
      return sp.parentItem === null
        ? { kind: 'placed', root: sp.root, entry: item, parentItem: null, key, depth: 0 }
        : { kind: 'placed', root: sp.root, entry: sp.entry, parentItem: sp.parentItem, key, depth: sp.depth }
    }
    if (typeof parent === 'string') {
      if (!KNOWN_ROOTS.has(parent)) throw new Refusal('unknown_root', `writes to unknown root "${parent.slice(0, 40)}"`)
      return { kind: 'placed', root: parent, entry: item, parentItem: null, key: item.parentSub, depth: 0 }
    }
    if (parent instanceof Y.ID) {
      const holder = this.find(parent, item)
      if (!(holder instanceof Y.Item) || !(holder.content instanceof Y.ContentType)) return { kind: 'void' }
      const hp = this.placementOf(holder, depth + 1)
      return this.child(item, hp, holder, item.parentSub)
    }
    throw new Refusal('malformed', 'item with an unreadable parent')
  }

  /** The map key of a fresh item whose key is inherited from its own origin. */
  private inheritedKey(item: Y.Item, depth: number): string | null {
    if (depth > MAX_WALK) throw new Refusal('unresolvable', 'origin chain too deep or circular')
    if (item.parentSub !== null || item.parent instanceof Y.AbstractType || typeof item.parent === 'string') {
      return item.parentSub
    }
    const sibling = (item.origin ? this.find(item.origin, item) : item.rightOrigin ? this.find(item.rightOrigin, item) : null) as
      | Y.Item
      | null
    if (!(sibling instanceof Y.Item)) return null
    return sibling.parentSub ?? this.inheritedKey(sibling, depth + 1)
  }
}

/**
 * The value a Y.Map shows for an entry written by this item: the last of
 * its values (an item may carry several; Y.Map reads the last), whatever
 * kind of content holds it.
 */
function exposedValue(content: Y.Item['content']): unknown {
  const values = content.getContent()
  return values[values.length - 1]
}

/**
 * Whether a stored root-level entry is a locked frame or sits in one (its
 * `frameId`). Only entries the document holds are read: a new one in the
 * same update shows its frame through its own `frameId` struct instead.
 */
function inLockedFrame(entry: Struct | undefined, locked: ReadonlySet<string>): boolean {
  if (!(entry instanceof Y.Item) || entry.deleted) return false
  if (entry.parentSub !== null && locked.has(entry.parentSub)) return true
  if (!(entry.content instanceof Y.ContentType) || entry.content.type.doc === null) return false
  const frameId = (entry.content.type as Y.Map<unknown>).get('frameId')
  return typeof frameId === 'string' && locked.has(frameId)
}

function isForbiddenShapeType(value: unknown, forbidden: readonly string[]): boolean {
  return typeof value === 'string' && forbidden.includes(value)
}

/**
 * Checks an update. `scan` is the structural pass (see update-scan.ts) when
 * the caller already made it; otherwise it is made here with `limits`.
 */
export function checkUpdate(
  update: Uint8Array,
  state: GuardState,
  subject: GuardSubject,
  scan?: UpdateScan,
  limits: UpdateLimits = DEFAULT_UPDATE_LIMITS,
): GuardVerdict {
  try {
    return check(update, state, subject, scan ?? scanned(update, limits))
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, reason: err.reason, detail: err.message }
    return { ok: false, reason: 'malformed', detail: `could not decode the update: ${(err as Error).message}` }
  }
}

function scanned(update: Uint8Array, limits: UpdateLimits): UpdateScan {
  const result = scanUpdate(update, limits)
  if (!result.ok) throw new Refusal(result.reason, result.detail)
  return result.scan
}

function check(update: Uint8Array, state: GuardState, subject: GuardSubject, scan: UpdateScan): GuardVerdict {
  const { doc } = state
  // References between this update's own structs that go in a circle leave
  // Yjs with structs it can never integrate (it keeps them pending).
  if (scan.runs.length > 1 && scan.runs.some((r) => r.foreign.length > 0) && !integrationOrder(scan)) {
    throw new Refusal('unresolvable', "the update's structs refer to each other in a circle")
  }
  const { structs, ds } = Y.decodeUpdate(update)
  const view = new UpdateView(state)

  // Step 2: clocks continue the server's state exactly; note which clients write.
  const nextClock = new Map<number, number>()
  for (const s of structs) {
    const client = s.id.client
    const clock = s.id.clock
    if (s instanceof Y.Skip) throw new Refusal('clock_gap', `update skips clocks of client ${client}`)
    const expected = nextClock.get(client)
    if (expected === undefined) {
      if (clock > storeState(doc, client)) {
        throw new Refusal('clock_gap', `client ${client} starts at ${clock}, the server is at ${storeState(doc, client)}`)
      }
    } else if (clock !== expected) {
      throw new Refusal('malformed', `client ${client} structs are not contiguous`)
    }
    nextClock.set(client, clock + s.length)
    if (clock + s.length > storeState(doc, client)) {
      let list = view.fresh.get(client)
      if (!list) view.fresh.set(client, (list = []))
      list.push(s)
    }
  }
  const clients = [...view.fresh.keys()]
  // Unclaimed ids count as the sender's while checking; the caller claims
  // them (durably, so two instances cannot both hand one out) and asks again.
  const unclaimed = new Set(clients.filter((c) => !state.owners.has(c)))
  const ownerOf = (client: number) => state.owners.get(client) ?? (unclaimed.has(client) ? subject.principalKey : undefined)
  for (const c of clients) {
    if (ownerOf(c) !== subject.principalKey) {
      throw new Refusal('foreign_client', `client id ${c} belongs to another participant`)
    }
  }

  // Step 4 first (it decides whether anything happens at all): every delete
  // must hit items the server has or that this update creates.
  const deletes: Y.Item[] = []
  for (const [client, ranges] of ds.clients) {
    const known = storeState(doc, client)
    const end = Math.max(known, nextClock.get(client) ?? 0)
    const structList = doc.store.clients.get(client)
    for (const { clock, len } of ranges) {
      if (len <= 0) continue
      if (clock + len > end) throw new Refusal('future_delete', `deletes ${client}:${clock}+${len}, beyond what exists`)
      if (!structList || clock >= known) continue
      const stop = Math.min(clock + len, known)
      for (let i = Y.findIndexSS(structList, clock); i < structList.length; i++) {
        const s = structList[i]!
        if (s.id.clock >= stop) break
        if (s instanceof Y.Item && !s.deleted) deletes.push(s)
      }
    }
  }

  let freshCount = 0
  for (const list of view.fresh.values()) freshCount += list.length
  if (freshCount === 0 && deletes.length === 0) return { ok: true, noop: true, clients: [], ends: new Map(), markupEntries: [], deleted: [], scope: null }

  // Step 5: the rulebook decides what this subject may write on this board.
  const rights = writeRights({ role: subject.role, guest: subject.guest, creatorGuest: false }, state)
  if (rights.scope === 'none') throw new Refusal(rights.reason, rights.detail)
  const ownMarkupOnly = rights.scope === 'own_markup'
  const { forbiddenShapeTypes, allowedTypes } = rights
  const lockedFrames = new Set(rights.lockedFrames)
  const markup = doc.share.get('markup') as Y.Map<unknown> | undefined
  const ownsEntry = (entry: Struct) => ownerOf(entry.id.client) === subject.principalKey
  const markupEntries = new Map<string, Y.ID>()
  const touch = (entry: Struct) => markupEntries.set(`${entry.id.client}:${entry.id.clock}`, entry.id)

  for (const list of view.fresh.values()) {
    for (const s of list) {
      if (!(s instanceof Y.Item)) {
        // GC structs carry no content and land nowhere; but from a reviewer
        // they cannot be attributed to its own markup.
        if (ownMarkupOnly) throw new Refusal('gc_struct', 'reviewers cannot send collected (GC) structs')
        continue
      }
      if (s.content instanceof Y.ContentDoc) throw new Refusal('subdocument', 'sub-documents are not allowed')
      const p = view.placementOf(s)
      if (p.kind === 'void') continue
      if (p.depth > MAX_TYPE_DEPTH) throw new Refusal('too_complex', `types nested deeper than ${MAX_TYPE_DEPTH} levels`)
      if (p.root === 'markup') touch(p.entry)
      if (p.parentItem === null && p.key === null) {
        throw new Refusal('schema', `"${p.root}" is a map; list inserts at its top level are not allowed`)
      }
      if (ownMarkupOnly) {
        if (p.root !== 'markup') throw new Refusal('not_own_markup', `reviewers cannot write to "${p.root}"`)
        if (p.parentItem === null) {
          const current = p.key !== null ? markup?._map.get(p.key) : undefined
          if (current && !current.deleted && !ownsEntry(current)) {
            throw new Refusal('not_own_markup', 'replaces markup created by someone else')
          }
        } else if (!ownsEntry(p.entry)) {
          throw new Refusal('not_own_markup', 'changes markup created by someone else')
        }
      }
      if ((forbiddenShapeTypes.length > 0 || allowedTypes) && (p.root === 'shapes' || p.root === 'markup')) {
        // The element type this struct sets: a whole entry written as one object, or its `type` key.
        const type =
          p.parentItem === null
            ? (exposedValue(s.content) as { type?: unknown } | null)?.type
            : p.parentItem === p.entry && p.key === 'type'
              ? exposedValue(s.content)
              : undefined
        if (isForbiddenShapeType(type, forbiddenShapeTypes)) {
          throw new Refusal('forbidden_shape_type', 'guests cannot create image, embed or iframe elements')
        }
        if (allowedTypes && type !== undefined && !(typeof type === 'string' && allowedTypes.includes(type))) {
          throw new Refusal('tool_not_allowed', `the host allows guests only ${allowedTypes.join(', ') || 'no tools'}`)
        }
      }
      if (lockedFrames.size > 0 && (p.root === 'shapes' || p.root === 'markup')) {
        const root = doc.share.get(p.root) as unknown as Y.Map<unknown>
        const movesIn = p.parentItem === p.entry && p.key === 'frameId' && lockedFrames.has(exposedValue(s.content) as string)
        const writesObject = p.parentItem === null && lockedFrames.has((exposedValue(s.content) as { frameId?: string } | null)?.frameId as string)
        const replaces = p.parentItem === null && p.key !== null && (lockedFrames.has(p.key) || inLockedFrame(root._map.get(p.key), lockedFrames))
        if (movesIn || writesObject || replaces || (p.parentItem !== null && inLockedFrame(p.entry, lockedFrames))) {
          throw new Refusal('locked_frame', 'the host locked that frame')
        }
      }
    }
  }
  for (const d of deletes) {
    const p = view.placementOf(d)
    if (p.kind === 'void') continue
    if (lockedFrames.size > 0 && (p.root === 'shapes' || p.root === 'markup') && inLockedFrame(p.parentItem === null ? d : p.entry, lockedFrames)) {
      throw new Refusal('locked_frame', 'the host locked that frame')
    }
    if (p.root === 'markup') touch(p.entry)
    if (ownMarkupOnly && (p.root !== 'markup' || !ownsEntry(p.entry))) {
      throw new Refusal('not_own_markup', 'deletes content created by someone else')
    }
  }
  if (unclaimed.size > 0) return { ok: false, reason: 'unclaimed', clients: [...unclaimed] }
  const ends = new Map<number, number>()
  for (const c of clients) ends.set(c, nextClock.get(c)!)
  return { ok: true, noop: false, clients, ends, markupEntries: [...markupEntries.values()], deleted: deletes, scope: rights.scope }
}

/** Root type → name, for the guard. */
export function rootNamesOf(doc: Y.Doc): Map<Y.AbstractType<any>, string> {
  const names = new Map<Y.AbstractType<any>, string>()
  for (const [name, type] of doc.share) names.set(type, name)
  return names
}
