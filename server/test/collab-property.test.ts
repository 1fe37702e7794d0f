// Property-based: random operation sequences per role across several clients.
// (a) the server's document only ever holds what each role may write;
// (b) honest clients always converge to the server's state.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { providerClient, type ProviderClient, RawClient, waitFor } from './helpers/collab.js'
import { castBoard } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'


const suite = useServer()
const { api } = suite

type Honest = 'editorA' | 'editorB' | 'reviewer'
type Op =
  | { who: Honest; what: 'set' | 'delete' | 'edit'; root: 'shapes' | 'markup' | 'meta'; key: number; value: number }
  | { who: 'reviewerAttack' | 'readerAttack'; what: 'attack'; attack: number; key: number; value: number }

const honestOp = fc.record({
  who: fc.constantFrom<Honest>('editorA', 'editorB', 'reviewer'),
  what: fc.constantFrom<'set' | 'delete' | 'edit'>('set', 'delete', 'edit'),
  root: fc.constantFrom<'shapes' | 'markup' | 'meta'>('shapes', 'markup', 'meta'),
  key: fc.integer({ min: 0, max: 3 }),
  value: fc.integer({ min: 0, max: 1000 }),
})
const attackOp = fc.record({
  who: fc.constantFrom<'reviewerAttack' | 'readerAttack'>('reviewerAttack', 'readerAttack'),
  what: fc.constant<'attack'>('attack'),
  attack: fc.integer({ min: 0, max: 5 }),
  key: fc.integer({ min: 0, max: 3 }),
  value: fc.integer({ min: 0, max: 1000 }),
})
const ops = fc.array(fc.oneof({ weight: 4, arbitrary: honestOp }, { weight: 1, arbitrary: attackOp }), {
  minLength: 5,
  maxLength: 40,
})

function applyHonest(doc: Y.Doc, op: Extract<Op, { who: Honest }>): unknown {
  const reviewer = op.who === 'reviewer'
  // Reviewers keep to their own markup; editors name their markup differently
  // so an honest reviewer never has to replace an editor's entry.
  const root = reviewer ? 'markup' : op.root
  const key = `${reviewer ? 'r' : op.root === 'markup' ? 'e' : ''}${op.key}`
  const map = doc.getMap(root)
  const entry = map.get(key)
  if (reviewer && entry instanceof Y.Map) {
    // only entries this client created
    const item = (map as any)._map.get(key) as Y.Item
    if (item.id.client !== doc.clientID) return
  }
  switch (op.what) {
    case 'set': {
      if (root === 'meta') return map.set(key, op.value)
      const m = new Y.Map<unknown>()
      map.set(key, m)
      m.set('v', op.value)
      return
    }
    case 'delete':
      return map.delete(key)
    case 'edit':
      if (entry instanceof Y.Map) entry.set('v', op.value)
      else if (root === 'meta') map.set(key, op.value)
      return
  }
}

/** Forbidden writes: each must be refused and leave no trace. */
function attack(doc: Y.Doc, op: Extract<Op, { what: 'attack' }>): unknown {
  const shapes = doc.getMap('shapes')
  const markup = doc.getMap('markup')
  switch (op.attack) {
    case 0:
      return shapes.set(`x${op.key}`, new Y.Map([['v', op.value]]))
    case 1:
      return shapes.delete(`${op.key}`)
    case 2:
      return doc.getMap('meta').set(`x${op.key}`, op.value)
    case 3: {
      // An editor's entry if there is one (creating a new entry would be a
      // reviewer's right, not an attack).
      const e = markup.get(`e${op.key}`)
      if (e instanceof Y.Map) e.set('v', -op.value)
      else shapes.set(`y${op.key}`, op.value)
      return
    }
    case 4:
      return markup.delete(`e${op.key}`)
    default:
      return (shapes.get(`${op.key}`) as Y.Map<unknown> | undefined)?.set('v', -1) ?? shapes.set('z', 1)
  }
}

async function sendAttack(boardId: string, token: string, op: Extract<Op, { what: 'attack' }>): Promise<void> {
  const raw = await RawClient.connect(suite.server.url, boardId, token)
  raw.sendStep1()
  await raw.until(() => raw.syncPayloads().length > 0 || raw.closeCode !== null)
  const doc = raw.docFromServer()
  let update: Uint8Array | null = null
  doc.on('update', (u: Uint8Array) => (update = u))
  attack(doc, op)
  if (update === null) {
    // The attack changed nothing (e.g. deleting a missing key): nothing to refuse.
    raw.close()
    return
  }
  raw.sendUpdate(update)
  const code = await raw.waitClose()
  // Only the role decides: a write that changes something is refused.
  if (code !== 4422) throw new Error(`attack ${op.attack} by ${op.who} was not refused (close ${code})`)
}

function ownerRole(owners: Map<number, string>, roles: Map<string, string>, client: number): string {
  return roles.get(owners.get(client) ?? '') ?? 'nobody'
}

/** Property (a): every entry was created by a role allowed to create it there. */
function assertOnlyAllowed(boardId: string, roles: Map<string, string>): void {
  const room = suite.server.hub.room(boardId)!
  const { doc, owners } = room
  for (const root of ['shapes', 'meta'] as const) {
    for (const item of (doc.getMap(root) as any)._map.values() as Iterable<Y.Item>) {
      if (item.deleted) continue
      expect(['owner', 'editor']).toContain(ownerRole(owners, roles, item.id.client))
    }
  }
  for (const item of (doc.getMap('markup') as any)._map.values() as Iterable<Y.Item>) {
    if (item.deleted) continue
    const creator = ownerRole(owners, roles, item.id.client)
    expect(['owner', 'editor', 'reviewer']).toContain(creator)
    const entry = item.content instanceof Y.ContentType ? (item.content.type as Y.Map<unknown>) : null
    if (!entry) continue
    for (const inner of (entry as any)._map.values() as Iterable<Y.Item>) {
      if (inner.deleted) continue
      const writer = ownerRole(owners, roles, inner.id.client)
      // Inside a reviewer's entry: the reviewer itself or editors; inside an editor's: editors only.
      expect(creator === 'reviewer' ? ['owner', 'editor', 'reviewer'] : ['owner', 'editor']).toContain(writer)
    }
  }
  expect([...doc.share.keys()].sort()).toEqual(['markup', 'meta', 'shapes'])
}

/** Canonical JSON: map key order depends on arrival order, content does not. */
const canonical = (v: unknown): unknown =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
    : v
const snapshot = (doc: Y.Doc) =>
  JSON.stringify(canonical({ s: doc.getMap('shapes').toJSON(), m: doc.getMap('markup').toJSON(), t: doc.getMap('meta').toJSON() }))

describe('guard properties', () => {
  it('keeps the document within each role and lets honest clients converge', async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (sequence) => {
        const cast = await castBoard(api)
        const roles = new Map<string, string>([
          [`user:${cast.owner.id}`, 'owner'],
          [`user:${cast.memberEditor.id}`, 'editor'],
          [`guest:${cast.guestEditor.id}`, 'editor'],
          [`user:${cast.memberReviewer.id}`, 'reviewer'],
          [`guest:${cast.guestReader.id}`, 'reader'],
        ])
        const honest: Record<Honest, ProviderClient> = {
          editorA: providerClient(suite.server.url, cast.boardId, cast.memberEditor.token),
          editorB: providerClient(suite.server.url, cast.boardId, cast.guestEditor.token),
          reviewer: providerClient(suite.server.url, cast.boardId, cast.memberReviewer.token),
        }
        try {
          await Promise.all(Object.values(honest).map((c) => c.synced()))
          for (const op of sequence) {
            if (op.what === 'attack') {
              const token = op.who === 'reviewerAttack' ? cast.memberReviewer.token : cast.guestReader.token
              await sendAttack(cast.boardId, token, op)
            } else {
              applyHonest(honest[op.who].doc, op)
            }
            if (Math.random() < 0.3) await new Promise((r) => setTimeout(r, 5))
          }
          const room = () => suite.server.hub.room(cast.boardId)
          await waitFor(
            () => {
              const r = room()
              if (!r) return false
              const want = snapshot(r.doc)
              return Object.values(honest).every((c) => snapshot(c.doc) === want)
            },
            10_000,
            'convergence',
          ).catch((err: Error) => {
            const detail = Object.entries(honest).map(([k, c]) => `${k}: ${snapshot(c.doc)} closes=${JSON.stringify(c.closes)}`)
            throw new Error(`${err.message}\nserver: ${room() ? snapshot(room()!.doc) : 'unloaded'}\n${detail.join('\n')}`)
          })
          for (const c of Object.values(honest)) expect(c.closes).toEqual([])
          assertOnlyAllowed(cast.boardId, roles)
        } finally {
          for (const c of Object.values(honest)) c.destroy()
        }
      }),
      { numRuns: 12, endOnFailure: true },
    )
  }, 240_000)
})
