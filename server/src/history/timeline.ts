// What the log says about people and elements, as pure functions over
// replayed changes (replay.ts): a version's contributors, who changed what
// between two points, who created and last changed each element, and the
// content "everyone's work but this person's since then".
import type * as Y from 'yjs'
import type { DocContent, HistoryRoot } from '../../../shared/history.js'
import { contentOf, type EntryChange, entryValue, type LogRow, replay, type Wanted } from './replay.js'

const keyOf = (root: string, id: string) => `${root}\n${id}`
function split(key: string): { root: HistoryRoot; id: string } {
  const i = key.indexOf('\n')
  return { root: key.slice(0, i) as HistoryRoot, id: key.slice(i + 1) }
}

export interface Tally {
  added: number
  changed: number
  deleted: number
}

/** Per person (principal key): distinct entries added, changed (not added by them here) and deleted. */
export function tally(changes: Iterable<EntryChange>): Map<string, Tally> {
  const sets = new Map<string, { added: Set<string>; changed: Set<string>; deleted: Set<string> }>()
  for (const c of changes) {
    if (!c.actor) continue
    let s = sets.get(c.actor)
    if (!s) sets.set(c.actor, (s = { added: new Set(), changed: new Set(), deleted: new Set() }))
    const key = keyOf(c.root, c.id)
    if (c.kind === 'added') s.added.add(key)
    else if (c.kind === 'deleted') s.deleted.add(key)
    else if (!s.added.has(key)) s.changed.add(key)
  }
  const out = new Map<string, Tally>()
  for (const [actor, s] of sets) out.set(actor, { added: s.added.size, changed: s.changed.size, deleted: s.deleted.size })
  return out
}

/** Who changed each entry, in order of their first change. */
export function changersByEntry(changes: Iterable<EntryChange>): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const c of changes) {
    if (!c.actor) continue
    const key = keyOf(c.root, c.id)
    const list = out.get(key) ?? []
    if (!list.includes(c.actor)) list.push(c.actor)
    out.set(key, list)
  }
  return out
}

export interface EntryDiff {
  root: HistoryRoot
  id: string
  change: 'added' | 'changed' | 'deleted'
  by: string[]
}

/** Entries that differ between two contents, seen from `from` (added: in `to` only). */
export function diffContents(from: DocContent, to: DocContent, changers: Map<string, string[]>): EntryDiff[] {
  const out: EntryDiff[] = []
  for (const root of ['shapes', 'markup', 'meta'] as const) {
    for (const id of new Set([...Object.keys(from[root]), ...Object.keys(to[root])])) {
      const a = from[root][id]
      const b = to[root][id]
      let change: EntryDiff['change'] | null = null
      if (a === undefined) change = 'added'
      else if (b === undefined) change = 'deleted'
      else if (JSON.stringify(a) !== JSON.stringify(b)) change = 'changed'
      if (change) out.push({ root, id, change, by: changers.get(keyOf(root, id)) ?? [] })
    }
  }
  return out
}

export interface Attributed {
  createdBy: string | null
  createdAt: number | null
  changedBy: string | null
  changedAt: number | null
}

/** Who created (the current incarnation of) and last changed each element still on the board. */
export function attribute(changes: Iterable<EntryChange>, exists: (id: string) => boolean): Map<string, Attributed> {
  const out = new Map<string, Attributed>()
  for (const c of changes) {
    if (c.root === 'meta') continue
    if (c.kind === 'deleted') {
      out.delete(c.id)
      continue
    }
    const prev = out.get(c.id)
    if (c.kind === 'added' || !prev) {
      out.set(c.id, c.kind === 'added' ? { createdBy: c.actor, createdAt: c.at, changedBy: c.actor, changedAt: c.at } : { createdBy: null, createdAt: null, changedBy: c.actor, changedAt: c.at })
    } else {
      prev.changedBy = c.actor
      prev.changedAt = c.at
    }
  }
  for (const id of out.keys()) if (!exists(id)) out.delete(id)
  return out
}

export interface RevertTarget {
  /** Entries the person changed since then, with what each should hold (undefined: must not exist). */
  wanted: Wanted
  /** The content after every row (what is stored now). */
  end: DocContent
}

/**
 * "Everyone's work but this person's since then", for the entries the
 * person touched: `doc` holds the board as it was at that moment and is
 * replayed through `rows` (everything after it). Others' changes are kept
 * field by field, in log order; an entry the person created, and whatever
 * others did to it, goes (it depended on the person's work); an entry the
 * person deleted comes back with others' later changes to it.
 */
export function revertTarget(doc: Y.Doc, rows: Iterable<LogRow>, person: string): RevertTarget {
  const start = contentOf(doc)
  const target = new Map<string, unknown>()
  const touched = new Set<string>()
  const targetOf = (key: string, root: HistoryRoot, id: string) => (target.has(key) ? target.get(key) : start[root][id])
  replay(doc, rows, (c) => {
    const key = keyOf(c.root, c.id)
    if (c.actor === person) {
      touched.add(key)
      return
    }
    const now = entryValue(doc.getMap<unknown>(c.root).get(c.id))
    if (c.kind === 'added') target.set(key, structuredClone(now))
    else if (c.kind === 'deleted') target.set(key, undefined)
    else {
      const t = targetOf(key, c.root, c.id)
      // Absent here: the person created it (or deleted it and nobody could see it since).
      if (t === undefined) return
      if (c.root === 'meta' || typeof t !== 'object' || t === null || typeof now !== 'object' || now === null) {
        target.set(key, structuredClone(now))
        return
      }
      const next = { ...(t as Record<string, unknown>) }
      for (const field of c.fields) {
        const v = (now as Record<string, unknown>)[field]
        if (v === undefined) delete next[field]
        else next[field] = structuredClone(v)
      }
      target.set(key, next)
    }
  })
  const wanted: Wanted = new Map()
  for (const key of touched) {
    const { root, id } = split(key)
    let entries = wanted.get(root)
    if (!entries) wanted.set(root, (entries = new Map()))
    entries.set(id, targetOf(key, root, id))
  }
  return { wanted, end: contentOf(doc) }
}
