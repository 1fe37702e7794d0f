// "Revert a person", property-based: three principals edit a board in a
// random interleaving (each on its own Yjs document, every update logged as
// the server logs it), then one of them is reverted since a random moment.
// The board must equal the one built from the other two's operations alone,
// leaving out what depended on the reverted person's work (edits to elements
// they created), and restore must land exactly on any earlier state.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { boardDoc } from '../src/util/y-doc.js'
import { buildDoc, contentOf, type EntryChange, type LogRow, replay, replayInSlices, updateTowards, wantedFrom } from '../src/history/replay.js'
import { revertTarget } from '../src/history/timeline.js'

type Fields = Record<string, unknown>
interface Op {
  actor: number
  kind: 'create' | 'set' | 'delete'
  pick: number
  field: 'x' | 'y' | 'color'
  value: number
}

const opArb: fc.Arbitrary<Op> = fc.record({
  actor: fc.integer({ min: 0, max: 2 }),
  kind: fc.constantFrom<Op['kind'][]>('create', 'create', 'set', 'set', 'set', 'delete'),
  pick: fc.nat(),
  field: fc.constantFrom<Op['field'][]>('x', 'y', 'color'),
  value: fc.integer({ min: 0, max: 20 }),
})

interface Played {
  /** Each op as it was actually done (kind fixed up, element chosen). */
  done: { actor: number; kind: Op['kind']; id: string; field?: string; value?: number; fields?: Fields }[]
  rows: LogRow[]
  server: Y.Doc
}

/** Plays the ops through three client documents and a server document that logs each update with its sender. */
function play(ops: Op[]): Played {
  const server = boardDoc()
  const clients = [0, 1, 2].map((i) => {
    const d = boardDoc()
    d.clientID = 1000 + i
    return d
  })
  const rows: LogRow[] = []
  const done: Played['done'] = []
  let next = 0
  ops.forEach((op, i) => {
    const doc = clients[op.actor]!
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(server, Y.encodeStateVector(doc)))
    const shapes = doc.getMap<Y.Map<unknown>>('shapes')
    const ids = [...shapes.keys()].sort()
    const kind = ids.length === 0 ? 'create' : op.kind
    let update: Uint8Array | null = null
    const capture = (u: Uint8Array) => (update = u)
    doc.on('update', capture)
    if (kind === 'create') {
      const id = `e${next++}`
      const fields = { type: 'rectangle', x: op.value, y: op.value, color: op.value % 3 }
      doc.transact(() => shapes.set(id, new Y.Map(Object.entries(fields))))
      done.push({ actor: op.actor, kind, id, fields })
    } else {
      const id = ids[op.pick % ids.length]!
      if (kind === 'set') {
        doc.transact(() => shapes.get(id)!.set(op.field, op.value))
        done.push({ actor: op.actor, kind, id, field: op.field, value: op.value })
      } else {
        doc.transact(() => shapes.delete(id))
        done.push({ actor: op.actor, kind, id })
      }
    }
    doc.off('update', capture)
    Y.applyUpdate(server, update!)
    rows.push({ seq: i + 1, actor: `user:p${op.actor}`, at: i + 1, data: update! })
  })
  for (const d of clients) d.destroy()
  return { done, rows, server }
}

/** The board built from the ops alone, leaving out `skip`ped ones and edits to elements a skipped op created. */
function model(done: Played['done'], skip: (i: number) => boolean): Record<string, Fields> {
  const board = new Map<string, Fields>()
  const orphaned = new Set<string>()
  done.forEach((op, i) => {
    if (skip(i)) {
      if (op.kind === 'create') orphaned.add(op.id)
      return
    }
    if (orphaned.has(op.id)) return
    if (op.kind === 'create') board.set(op.id, { ...op.fields })
    else if (op.kind === 'delete') board.delete(op.id)
    else {
      const el = board.get(op.id)
      if (el) el[op.field!] = op.value
    }
  })
  return Object.fromEntries(board)
}

describe('revert a person (property)', () => {
  it('equals the board built from everyone else\'s operations', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 2 }), (ops, sinceRaw, reverted) => {
        const { done, rows, server } = play(ops)
        const since = sinceRaw % (rows.length + 1)
        const start = buildDoc(null, rows.slice(0, since).map((r) => r.data))
        const { wanted } = revertTarget(start, rows.slice(since), `user:p${reverted}`)
        start.destroy()
        const write = updateTowards(server, wanted)
        if (write) Y.applyUpdate(server, write)
        const expected = model(done, (i) => i >= since && done[i]!.actor === reverted)
        expect(contentOf(server).shapes).toEqual(expected)
        server.destroy()
      }),
      { numRuns: 300 },
    )
  })

  it('restores in a row on one live document, with other edits between, each land on their state (the kept copy follows the document)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 2, maxLength: 40 }), fc.array(fc.nat(), { minLength: 2, maxLength: 4 }), (ops, picks) => {
        const { rows, server } = play(ops)
        const stateAt = (at: number) => {
          const then = buildDoc(null, rows.slice(0, at).map((r) => r.data))
          const content = contentOf(then)
          then.destroy()
          return content
        }
        picks.forEach((pick, i) => {
          const content = stateAt(pick % (rows.length + 1))
          const write = updateTowards(server, wantedFrom(contentOf(server), content))
          if (write) Y.applyUpdate(server, write)
          expect(contentOf(server)).toEqual(content)
          // Someone else edits the live document before the next restore.
          server.getMap<unknown>('shapes').set(`between-${i}`, new Y.Map(Object.entries({ type: 'ellipse', x: i })))
        })
        server.destroy()
      }),
      { numRuns: 150 },
    )
  })

  it('restore lands on exactly the earlier state, whatever happened since', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.nat(), (ops, atRaw) => {
        const { rows, server } = play(ops)
        const at = atRaw % (rows.length + 1)
        const then = buildDoc(null, rows.slice(0, at).map((r) => r.data))
        const content = contentOf(then)
        then.destroy()
        const write = updateTowards(server, wantedFrom(contentOf(server), content))
        if (write) Y.applyUpdate(server, write)
        expect(contentOf(server)).toEqual(content)
        server.destroy()
      }),
      { numRuns: 300 },
    )
  })

  it('a replay in slices (yielding between rows) reports exactly what one replay does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.nat(), async (ops, fromRaw) => {
        const { rows, server } = play(ops)
        server.destroy()
        const from = fromRaw % (rows.length + 1)
        const report = async (sliced: boolean) => {
          const doc = buildDoc(null, rows.slice(0, from).map((r) => r.data))
          const changes: EntryChange[] = []
          if (sliced) await replayInSlices(doc, rows.slice(from), (c) => changes.push(c), 0)
          else replay(doc, rows.slice(from), (c) => changes.push(c))
          doc.destroy()
          return changes
        }
        expect(await report(true)).toEqual(await report(false))
      }),
      { numRuns: 100 },
    )
  })
})
