// The guard accepts only what Yjs applies completely: no update it accepts
// makes Y.applyUpdate throw or leaves structs pending. Hand-built updates with
// references anywhere (later clocks of their own client, other clients of the
// same update, circles, nothing) and mutations of real ones.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { checkUpdate, type GuardSubject, rootNamesOf } from '../src/collab/guard.js'
import { type CraftItem, type CraftSection, craftUpdate, type Id } from './helpers/craft.js'

const OWNER = 'user:owner'
const subject: GuardSubject = { principalKey: OWNER, role: 'owner', guest: false }

/** A server document with content from clients 1 and 2 (a map entry with a list and text inside). */
function serverDoc(): Y.Doc {
  const a = new Y.Doc()
  a.clientID = 1
  const b = new Y.Doc()
  b.clientID = 2
  const entry = new Y.Map<unknown>()
  a.getMap('shapes').set('s1', entry)
  const list = new Y.Array<number>()
  entry.set('list', list)
  list.insert(0, [1, 2, 3])
  a.getMap('markup').set('m1', 'x')
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  ;((b.getMap('shapes').get('s1') as Y.Map<unknown>).get('list') as Y.Array<number>).insert(1, [9, 9])
  b.getMap('meta').set('k', 1)
  b.getMap('markup').delete('m1')
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
  const server = new Y.Doc()
  for (const r of ['shapes', 'markup', 'meta']) server.getMap(r)
  Y.applyUpdate(server, Y.encodeStateAsUpdate(a))
  return server
}

const BASE = Y.encodeStateAsUpdate(serverDoc())

function fresh(): Y.Doc {
  const d = new Y.Doc()
  for (const r of ['shapes', 'markup', 'meta']) d.getMap(r)
  Y.applyUpdate(d, BASE)
  return d
}

function guard(doc: Y.Doc, update: Uint8Array) {
  const owners = new Map<number, string>([[1, OWNER], [2, OWNER], [7, OWNER], [8, OWNER], [9, OWNER]])
  return checkUpdate(update, { doc, rootNames: rootNamesOf(doc), owners, locked: false, archived: false }, subject)
}

/** Accepted ⇒ applies without throwing and leaves nothing pending. */
function expectSound(update: Uint8Array): boolean {
  const doc = fresh()
  const verdict = guard(doc, update)
  if (!verdict.ok) return false
  expect(() => Y.applyUpdate(doc, update)).not.toThrow()
  expect(doc.store.pendingStructs).toBeNull()
  expect(doc.store.pendingDs).toBeNull()
  // And the result is a document: its state encodes and decodes again.
  const again = new Y.Doc()
  Y.applyUpdate(again, Y.encodeStateAsUpdate(doc))
  expect(again.store.pendingStructs).toBeNull()
  return true
}

describe('the guard refuses what Yjs cannot apply', () => {
  it('an item whose origin is a later clock of its own client, beside a valid entry (the review finding)', () => {
    const update = craftUpdate([
      { client: 9, clock: 0, items: [{ parent: 'markup', key: 'ok' }] },
      { client: 7, clock: 0, items: [{ origin: [7, 1] }, { parent: 'markup', key: 'lo' }] },
    ])
    // Yjs itself throws halfway through, after client 9's entry is in.
    const doc = fresh()
    expect(() => Y.applyUpdate(doc, update)).toThrow()
    expect(doc.getMap('markup').has('ok')).toBe(true)
    expect(guard(fresh(), update)).toMatchObject({ ok: false, reason: 'unresolvable' })
  })

  it('right origin or parent at its own later clock', () => {
    const right = craftUpdate([{ client: 7, clock: 0, items: [{ rightOrigin: [7, 1] }, { parent: 'markup', key: 'x' }] }])
    const parent = craftUpdate([{ client: 7, clock: 0, items: [{ parent: [7, 1], key: 'x' }, { parent: 'markup', key: 'y', type: 1 }] }])
    for (const u of [right, parent]) {
      const doc = fresh()
      expect(() => Y.applyUpdate(doc, u)).toThrow()
      expect(guard(fresh(), u)).toMatchObject({ ok: false, reason: 'unresolvable' })
    }
  })

  it('references between two clients of one update that go in a circle', () => {
    const update = craftUpdate([
      { client: 7, clock: 0, items: [{ origin: [8, 0] }] },
      { client: 8, clock: 0, items: [{ origin: [7, 0] }] },
    ])
    const doc = fresh()
    Y.applyUpdate(doc, update)
    expect(doc.store.pendingStructs).not.toBeNull()
    expect(guard(fresh(), update)).toMatchObject({ ok: false, reason: 'unresolvable' })
  })

  it('accepts cross-client references inside one update that Yjs can order', () => {
    const update = craftUpdate([
      { client: 7, clock: 0, items: [{ origin: [8, 0] }] },
      { client: 8, clock: 0, items: [{ parent: 'markup', key: 'first' }] },
    ])
    expect(expectSound(update)).toBe(true)
  })
})

// Ids to point at: the server's (clients 1 and 2), this update's own, later
// ones, and ones nobody has.
const idArb = fc.oneof(
  fc.tuple(fc.constantFrom(1, 2), fc.integer({ min: 0, max: 12 })),
  fc.tuple(fc.constantFrom(7, 8, 9), fc.integer({ min: 0, max: 6 })),
  fc.tuple(fc.constant(3), fc.integer({ min: 0, max: 2 })),
) as fc.Arbitrary<Id>

const itemArb: fc.Arbitrary<CraftItem> = fc.oneof(
  fc.record({ origin: idArb, values: fc.constant([1]) }),
  fc.record({ rightOrigin: idArb, values: fc.constant(['r']) }),
  fc.record({ origin: idArb, rightOrigin: idArb }),
  fc.record({ parent: fc.constantFrom('shapes', 'markup', 'meta'), key: fc.constantFrom('a', 'b', 's1') }),
  fc.record({ parent: fc.constantFrom('shapes', 'markup'), key: fc.constantFrom('a', 'c'), type: fc.constantFrom(0, 1, 2) }),
  fc.record({ parent: idArb, key: fc.constantFrom('a', 'list') }),
  fc.record({ parent: idArb, values: fc.constant([5, 6]) }),
  fc.record({ gc: fc.integer({ min: 1, max: 3 }) }),
)

const sectionArb = (client: number): fc.Arbitrary<CraftSection> =>
  fc.record({ client: fc.constant(client), clock: fc.constant(0), items: fc.array(itemArb, { minLength: 1, maxLength: 4 }) })

const updateArb = fc.tuple(
  fc.subarray([7, 8, 9], { minLength: 1 }).chain((clients) => fc.tuple(...clients.map(sectionArb))),
  fc.array(fc.tuple(fc.constantFrom(1, 2, 7, 8), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 3 })), { maxLength: 3 }),
)

describe('property: whatever the guard accepts, Yjs applies completely', () => {
  it('hand-built updates with references anywhere', () => {
    let accepted = 0
    fc.assert(
      fc.property(updateArb, ([sections, deletes]) => {
        if (expectSound(craftUpdate(sections, deletes))) accepted++
      }),
      { numRuns: 3000 },
    )
    // The generator must reach both sides of the guard to mean anything.
    expect(accepted).toBeGreaterThan(50)
  })

  it('real edits with their references rewritten', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('set', 'list', 'text', 'delete'), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), idArb), { maxLength: 3 }),
        (ops, rewrites) => {
          const client = fresh()
          client.clientID = 7
          const before = Y.encodeStateVector(client)
          client.transact(() => {
            const s1 = client.getMap('shapes').get('s1') as Y.Map<unknown>
            const list = s1.get('list') as Y.Array<unknown>
            for (const [op, n] of ops) {
              if (op === 'set') s1.set(`k${n}`, n)
              else if (op === 'list') list.insert(Math.min(n, list.length), [n])
              else if (op === 'text') client.getMap('markup').set(`t${n}`, new Y.Text('hi'))
              else if (list.length > 0) list.delete(0, 1)
            }
          })
          const update = Y.encodeStateAsUpdate(client, before)
          // Re-point origins of the decoded items, then re-encode them by hand.
          const { structs, ds } = Y.decodeUpdate(update)
          const items: CraftItem[] = structs.map((s): CraftItem => {
            if (!(s instanceof Y.Item)) return { gc: s.length }
            const values = s.content instanceof Y.ContentAny ? s.content.arr : undefined
            const type = s.content instanceof Y.ContentType ? (s.content.type instanceof Y.Map ? 1 : s.content.type instanceof Y.Text ? 2 : 0) : undefined
            const base: CraftItem = { ...(values ? { values } : {}), ...(type !== undefined ? { type } : {}) }
            if (s.origin || s.rightOrigin) {
              return { ...base, ...(s.origin ? { origin: [s.origin.client, s.origin.clock] as Id } : {}), ...(s.rightOrigin ? { rightOrigin: [s.rightOrigin.client, s.rightOrigin.clock] as Id } : {}) }
            }
            const parent = typeof s.parent === 'string' ? s.parent : s.parent instanceof Y.ID ? ([s.parent.client, s.parent.clock] as Id) : 'shapes'
            return { ...base, parent, ...(s.parentSub !== null ? { key: s.parentSub } : {}) }
          })
          for (const [at, id] of items.length > 0 ? rewrites : []) {
            const it = items[at % items.length]!
            if (it.gc !== undefined) continue
            if (it.origin) it.origin = id
            else if (it.rightOrigin) it.rightOrigin = id
            else it.parent = id
          }
          const deletes: [number, number, number][] = []
          for (const [c, ranges] of ds.clients) for (const r of ranges) deletes.push([c, r.clock, r.len])
          // Only text/any/type contents are re-encoded; skip anything else.
          if (structs.some((s) => s instanceof Y.Item && !(s.content instanceof Y.ContentAny || s.content instanceof Y.ContentType))) return
          const first = structs[0]
          expectSound(craftUpdate(first ? [{ client: 7, clock: first.id.clock, items }] : [], deletes))
        },
      ),
      { numRuns: 1500 },
    )
  })
})
