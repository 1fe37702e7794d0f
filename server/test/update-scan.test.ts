// The structural pre-pass over updates: it must agree with Yjs on what an
// update holds, refuse what is over the limits, and cut big updates into
// slices that, applied in order, are exactly the update.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DEFAULT_UPDATE_LIMITS, scanUpdate } from '../src/collab/update-scan.js'
import { sliceUpdate } from '../src/collab/update-slices.js'
import { craftUpdate } from './helpers/craft.js'

type Op = { client: number; kind: 'set' | 'del' | 'text' | 'array' | 'nested'; key: number; value: number }

const op = fc.record({
  client: fc.integer({ min: 0, max: 3 }),
  kind: fc.constantFrom<Op['kind']>('set', 'del', 'text', 'array', 'nested'),
  key: fc.integer({ min: 0, max: 5 }),
  value: fc.integer({ min: 0, max: 100 }),
})

/** Several clients editing one board, synced after every op, so their edits refer to each other's. */
function build(ops: Op[]): Y.Doc {
  const docs = [1, 2, 3, 4].map((id) => {
    const d = new Y.Doc()
    d.clientID = id * 1000
    return d
  })
  for (const o of ops) {
    const d = docs[o.client]!
    const shapes = d.getMap('shapes')
    const k = `k${o.key}`
    switch (o.kind) {
      case 'set':
        shapes.set(k, o.value)
        break
      case 'del':
        shapes.delete(k)
        break
      case 'text': {
        let t = shapes.get('t')
        if (!(t instanceof Y.Text)) shapes.set('t', (t = new Y.Text()))
        const text = t as Y.Text
        text.insert(Math.min(o.key, text.length), `x${o.value}`)
        if (o.value % 3 === 0 && text.length > 2) text.delete(1, 1)
        break
      }
      case 'array': {
        let a = d.getMap('markup').get('a')
        if (!(a instanceof Y.Array)) d.getMap('markup').set('a', (a = new Y.Array()))
        const arr = a as Y.Array<unknown>
        arr.insert(Math.min(o.key, arr.length), [o.value, { deep: [o.value] }])
        break
      }
      case 'nested': {
        const m = new Y.Map<unknown>()
        shapes.set(`n${o.key}`, m)
        m.set('v', o.value)
        m.set('s', 'é😀'.repeat(o.value % 4))
        break
      }
    }
    // Sync everyone, so later edits have origins in other clients.
    const u = Y.encodeStateAsUpdate(d)
    for (const other of docs) if (other !== d) Y.applyUpdate(other, u)
  }
  return docs[0]!
}

const canonical = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(canonical)
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
      : v
const state = (d: Y.Doc) =>
  JSON.stringify(canonical({ sv: [...Y.decodeStateVector(Y.encodeStateVector(d))].sort(), doc: d.getMap('shapes').toJSON(), m: d.getMap('markup').toJSON() }))

describe('scanUpdate', () => {
  it('counts what Yjs decodes, for random multi-client documents', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const update = Y.encodeStateAsUpdate(build(ops))
        const result = scanUpdate(update)
        expect(result.ok).toBe(true)
        if (!result.ok) return
        const decoded = Y.decodeUpdate(update)
        expect(result.scan.structs).toBe(decoded.structs.length)
        expect(result.scan.dsEnd).toBe(update.length)
        let ranges = 0
        for (const r of decoded.ds.clients.values()) ranges += r.length
        expect(result.scan.deleteRanges).toBe(ranges)
        // Clocks: each run ends where Yjs's state for that client does.
        const doc = new Y.Doc()
        Y.applyUpdate(doc, update)
        for (const run of result.scan.runs) expect(run.clocks[run.clocks.length - 1]).toBe(Y.getState(doc.store, run.client))
      }),
      { numRuns: 150 },
    )
  })

  it('refuses updates over each limit before decoding them', () => {
    const many = craftUpdate([{ client: 1, clock: 0, items: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}` })) }])
    expect(scanUpdate(many, { ...DEFAULT_UPDATE_LIMITS, maxStructs: 49 })).toMatchObject({ ok: false, reason: 'too_complex' })
    expect(scanUpdate(many, { ...DEFAULT_UPDATE_LIMITS, maxStructs: 50 }).ok).toBe(true)
    const clients = craftUpdate(Array.from({ length: 5 }, (_, i) => ({ client: i + 1, clock: 0, items: [{ key: 'k' }] })))
    expect(scanUpdate(clients, { ...DEFAULT_UPDATE_LIMITS, maxClients: 4 })).toMatchObject({ ok: false, reason: 'too_complex' })
    let deep: unknown = 1
    for (let i = 0; i < 40; i++) deep = [deep]
    expect(scanUpdate(craftUpdate([{ client: 1, clock: 0, items: [{ key: 'k', values: [deep] }] }]))).toMatchObject({ ok: false, reason: 'too_complex' })
    expect(scanUpdate(craftUpdate([{ client: 1, clock: 0, items: [{ key: 'x'.repeat(5000) }] }]))).toMatchObject({ ok: false, reason: 'too_complex' })
    const deletes = craftUpdate([], Array.from({ length: 20 }, (_, i): [number, number, number] => [1, i * 2, 1]))
    expect(scanUpdate(deletes, { ...DEFAULT_UPDATE_LIMITS, maxDeleteRanges: 19 })).toMatchObject({ ok: false, reason: 'too_complex' })
  })

  it('refuses malformed structure: truncation, duplicate client sections, empty structs, unknown contents', () => {
    const good = craftUpdate([{ client: 1, clock: 0, items: [{ key: 'a' }, { key: 'b' }] }])
    for (let cut = 1; cut < good.length - 1; cut++) expect(scanUpdate(good.subarray(0, cut)).ok).toBe(false)
    const twice = craftUpdate([
      { client: 1, clock: 0, items: [{ key: 'a' }] },
      { client: 1, clock: 1, items: [{ key: 'b' }] },
    ])
    expect(scanUpdate(twice)).toMatchObject({ ok: false, reason: 'malformed' })
    expect(scanUpdate(craftUpdate([{ client: 1, clock: 0, items: [{ key: 'a', values: [] }] }]))).toMatchObject({ ok: false, reason: 'malformed' })
    const unknown = Uint8Array.from(good)
    unknown[4] = (unknown[4]! & ~0b11111) | 0b10101 // content type 21
    expect(scanUpdate(unknown).ok).toBe(false)
  })
})

describe('sliceUpdate', () => {
  it('slices that, applied in order, are the update (any slice size, with or without a prefix applied)', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 30 }), (ops, max, prefixLen) => {
        const full = build(ops)
        const update = Y.encodeStateAsUpdate(full)
        const prefix = Y.encodeStateAsUpdate(build(ops.slice(0, Math.min(prefixLen, ops.length))))
        const result = scanUpdate(update)
        if (!result.ok) throw new Error(result.detail)
        const slices = sliceUpdate(update, result.scan, max)
        expect(slices).not.toBeNull()
        const target = new Y.Doc()
        Y.applyUpdate(target, prefix)
        for (const s of slices!) {
          const scanned = scanUpdate(s)
          expect(scanned.ok && scanned.scan.structs <= max).toBe(true)
          Y.applyUpdate(target, s)
          // Every slice lands whole: nothing waits for a later one.
          expect(target.store.pendingStructs).toBeNull()
        }
        expect(state(target)).toBe(state(full))
        expect(target.store.pendingDs).toBeNull()
      }),
      { numRuns: 150 },
    )
  })

  it('returns null for references that go in a circle', () => {
    // Client 1's item refers to client 2's, and client 2's to client 1's.
    const update = craftUpdate([
      { client: 1, clock: 0, items: [{ origin: [2, 0] }, { key: 'a' }] },
      { client: 2, clock: 0, items: [{ origin: [1, 1] }, { key: 'b' }] },
    ])
    const result = scanUpdate(update)
    expect(result.ok).toBe(true)
    if (result.ok) expect(sliceUpdate(update, result.scan, 1)).toBeNull()
  })
})
