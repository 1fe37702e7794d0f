// `npm run bench claims`: what a client's first edit on a board adds to it.
// The first update from a Yjs client id claims that id for its sender
// (DocStore.claim: the first claim wins, on any instance), so a class of 30
// joining a board makes 30 claims at once, each before that client's edit
// can be checked. Runs the store in this process, as the hub calls it: one
// new id per call, 2,000 calls over 100 boards, three rounds (the first one
// includes compiling the code). On PostgreSQL this process's CPU leaves out
// the server backend's.
import pino from 'pino'
import { createTestDatabase } from '../../server/test/helpers/services.js'
import { DocStore } from '../../server/src/store/doc-store.js'
import type { Store } from '../../server/src/store/db.js'
import { boards, users } from '../../server/src/store/schema.js'
import { round, summarize } from './lean-client.js'
import { withStore } from './store-in-process.js'

const logger = pino({ level: 'silent' })

async function measure(store: Store, label: string, claims: number): Promise<object[]> {
  await store.db.insert(users).values({ id: 'bench-u', email: 'bench@x.io', name: 'B', passwordHash: 'h' })
  const ids = Array.from({ length: 100 }, (_, i) => `bench-claims-${i}`)
  await store.db.insert(boards).values(ids.map((id) => ({ id, title: 'T', ownerId: 'bench-u' })))
  const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9, inProcess: store.kind === 'pglite' })
  const out: object[] = []
  for (let r = 0; r < 3; r++) {
    const wall: number[] = []
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < claims; i++) {
      const t = performance.now()
      await docs.claim(ids[i % ids.length]!, [r * 1_000_000 + i], { kind: 'guest', id: `g${i}` })
      wall.push(performance.now() - t)
    }
    const cpu = process.cpuUsage(cpu0)
    const meanUs = round(((performance.now() - t0) * 1000) / claims)
    out.push({ scenario: 'claims', store: label, round: r + 1, claims, wallMs: summarize(wall), meanWallUs: meanUs, processCpuUsPerClaim: round((cpu.user + cpu.system) / claims) })
  }
  await docs.close()
  return out
}

export async function claimCost(pgUrl: string | null, claims = 2_000): Promise<object[]> {
  const out = await withStore(null, (store) => measure(store, 'pglite', claims))
  if (!pgUrl) return out
  const db = await createTestDatabase(pgUrl)
  try {
    return [...out, ...(await withStore(db.url, (store) => measure(store, 'postgresql', claims)))]
  } finally {
    await db.drop()
  }
}
