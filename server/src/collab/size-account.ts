// How big a board is and how much of it is markup, per principal: the limits
// that keep one participant from making a board un-editable for the others.
//
// - The document may grow to `maxDocBytes` (counted as stored: snapshot plus
//   log, recounted when the log is compacted). Deleting never counts as
//   growth, and an owner's or editor's edit that replaces at least as much as
//   it adds (a move, a recolour) is never refused for size.
// - Markup has its own quota: per principal and per board. Reviewers stop at
//   it; owners and editors do not (their markup still counts toward the
//   board's markup total).
import * as Y from 'yjs'
import type { GuardVerdict } from './guard.js'
import type { PresenceLimits } from './room-presence.js'
import type { UpdateLimits } from './update-scan.js'

export interface RoomLimits {
  update: UpdateLimits
  presence: PresenceLimits
  /** Yjs client ids one connection may claim. */
  maxClientIdsPerConnection: number
  maxDocBytes: number
  /** Live markup one principal may have on a board (checked for reviewers). */
  markupPerPrincipal: number
  /** Live markup a board may hold before reviewers are stopped. */
  markupPerBoard: number
}

type Accepted = Extract<GuardVerdict, { ok: true }>

/** Per-item overhead of a struct (ids, info, key) in the estimate below. */
const ITEM_OVERHEAD = 16
/** What replacing one item may add beyond the size of what it replaces (a new struct's ids, the delete range). */
const REPLACE_ALLOWANCE = 48

const itemBytes = new WeakMap<Y.Item, number>()

/** An estimate of what a live item costs in the encoded document. Items never change, so it is cached. */
function sizeOfItem(item: Y.Item): number {
  let n = itemBytes.get(item)
  if (n !== undefined) return n
  const c = item.content
  if (c instanceof Y.ContentType) n = 2
  else if (c instanceof Y.ContentString) n = c.str.length
  else if (c instanceof Y.ContentBinary) n = c.content.length
  else if (c instanceof Y.ContentDeleted) n = 0
  else {
    try {
      n = JSON.stringify(c.getContent()).length
    } catch {
      n = 64
    }
  }
  n += ITEM_OVERHEAD
  itemBytes.set(item, n)
  return n
}

/** Live bytes of a type and everything in it. */
function sizeOfType(type: Y.AbstractType<any>, depth = 0): number {
  if (depth > 64) return 0
  let n = 0
  const add = (item: Y.Item) => {
    if (item.deleted) return
    n += sizeOfItem(item)
    if (item.content instanceof Y.ContentType) n += sizeOfType(item.content.type, depth + 1)
  }
  for (const item of type._map.values()) add(item)
  for (let item = type._start; item !== null; item = item.right) add(item)
  return n
}

function sizeOfEntry(item: Y.Item): number {
  if (item.deleted) return 0
  return sizeOfItem(item) + (item.content instanceof Y.ContentType ? sizeOfType(item.content.type) : 0)
}

function itemAt(doc: Y.Doc, id: Y.ID): Y.Item | null {
  const structs = doc.store.clients.get(id.client)
  if (!structs) return null
  try {
    const s = structs[Y.findIndexSS(structs, id.clock)]
    return s instanceof Y.Item ? s : null
  } catch {
    return null
  }
}

export type SizeRefusal = { reason: 'too_large' | 'markup_quota'; detail: string }

export class SizeAccount {
  /** Markup bytes per principal key and in total; built from the document on first need. */
  private usage: { byPrincipal: Map<string, number>; total: number; entries: Map<Y.Item, { owner: string; bytes: number }> } | null = null

  constructor(
    private readonly limits: RoomLimits,
    private bytes: number,
    private readonly ownerOf: (clientId: number) => string | undefined,
  ) {}

  get storedBytes(): number {
    return this.bytes
  }

  /** Compaction measured the stored document again. */
  recount(bytes: number): void {
    this.bytes = bytes
  }

  /** The room was rebuilt from storage. */
  reset(bytes: number): void {
    this.bytes = bytes
    this.usage = null
  }

  grew(bytes: number): void {
    this.bytes += bytes
  }

  /** Why the update may not be applied, or null. */
  admit(update: Uint8Array, verdict: Accepted, principalKey: string, doc: Y.Doc): SizeRefusal | null {
    // Deleting only (no new structs) is always allowed: it is how a full board is cleaned up.
    if (verdict.ends.size === 0) return null
    const growth = update.length
    // Those who may only write their own markup (reviewers) have quotas.
    if (verdict.scope === 'own_markup') {
      const usage = this.markup(doc)
      const mine = usage.byPrincipal.get(principalKey) ?? 0
      if (mine + growth > this.limits.markupPerPrincipal) {
        return { reason: 'markup_quota', detail: `your markup on this board would pass ${this.limits.markupPerPrincipal} bytes` }
      }
      if (usage.total + growth > this.limits.markupPerBoard) {
        return { reason: 'markup_quota', detail: `markup on this board would pass ${this.limits.markupPerBoard} bytes` }
      }
    }
    if (this.bytes + growth <= this.limits.maxDocBytes) return null
    if (verdict.scope === 'anywhere') {
      // Replacing about as much as it adds: a move, a recolour, an edit (a
      // number becomes another number, whose encoding may be a little longer;
      // the ids of the new struct and its tombstone are the allowance).
      let replaced = 0
      for (const item of verdict.deleted) replaced += sizeOfItem(item) + REPLACE_ALLOWANCE
      if (growth <= replaced) return null
    }
    return { reason: 'too_large', detail: 'document too large' }
  }

  /** An update was applied: count its bytes and re-measure the markup entries it touched. */
  accepted(update: Uint8Array, verdict: Accepted, doc: Y.Doc): void {
    this.bytes += update.length
    const usage = this.usage
    if (!usage) return
    for (const id of verdict.markupEntries) {
      const item = itemAt(doc, id)
      if (!item) continue
      const old = usage.entries.get(item)
      if (old) {
        usage.byPrincipal.set(old.owner, (usage.byPrincipal.get(old.owner) ?? 0) - old.bytes)
        usage.total -= old.bytes
      }
      const bytes = sizeOfEntry(item)
      const owner = this.ownerOf(item.id.client) ?? ''
      if (bytes === 0) usage.entries.delete(item)
      else usage.entries.set(item, { owner, bytes })
      usage.byPrincipal.set(owner, (usage.byPrincipal.get(owner) ?? 0) + bytes)
      usage.total += bytes
    }
  }

  /** A guest's client ids now belong to a user: so does its markup. */
  reassign(from: string, to: string): void {
    const usage = this.usage
    if (!usage) return
    for (const e of usage.entries.values()) if (e.owner === from) e.owner = to
    usage.byPrincipal.set(to, (usage.byPrincipal.get(to) ?? 0) + (usage.byPrincipal.get(from) ?? 0))
    usage.byPrincipal.delete(from)
  }

  /** Live markup per principal (by the client id that created each entry). */
  markup(doc: Y.Doc): NonNullable<SizeAccount['usage']> {
    if (this.usage) return this.usage
    const usage = { byPrincipal: new Map<string, number>(), total: 0, entries: new Map<Y.Item, { owner: string; bytes: number }>() }
    const markup = doc.getMap('markup')
    for (const item of markup._map.values()) {
      const bytes = sizeOfEntry(item)
      if (bytes === 0) continue
      const owner = this.ownerOf(item.id.client) ?? ''
      usage.entries.set(item, { owner, bytes })
      usage.byPrincipal.set(owner, (usage.byPrincipal.get(owner) ?? 0) + bytes)
      usage.total += bytes
    }
    this.usage = usage
    return usage
  }
}
