// The update guard's own CPU cost per update, measured in-process on the
// same kind of updates the load generator sends (a shape with a few fields),
// plus markup edits by a reviewer and deletes.
import * as Y from 'yjs'
import { checkUpdate, rootNamesOf } from '../../server/src/collab/guard.js'
import { round } from './lean-client.js'

export function guardCost(updates = 5000) {
  const server = new Y.Doc()
  for (const r of ['shapes', 'markup', 'meta']) server.getMap(r)
  const owners = new Map<number, string>([
    [1, 'user:editor'],
    [2, 'user:reviewer'],
  ])
  const state = { doc: server, rootNames: rootNamesOf(server), owners, locked: false, archived: false }
  const editor = new Y.Doc()
  editor.clientID = 1
  const reviewer = new Y.Doc()
  reviewer.clientID = 2
  const stream: { u: Uint8Array; who: 'editor' | 'reviewer' }[] = []
  editor.on('update', (u: Uint8Array) => stream.push({ u, who: 'editor' }))
  reviewer.on('update', (u: Uint8Array) => stream.push({ u, who: 'reviewer' }))
  for (let i = 0; i < updates; i++) {
    const r = i % 10
    if (r < 6) {
      editor.transact(() => {
        const s = new Y.Map<unknown>()
        editor.getMap('shapes').set(`s${i}`, s)
        s.set('type', 'rect')
        s.set('x', i)
        s.set('y', i)
        s.set('fill', '#fff')
      })
    } else if (r < 8) {
      ;(editor.getMap('shapes').get(`s${i - r}`) as Y.Map<unknown>).set('x', i)
    } else if (r === 8) {
      reviewer.transact(() => reviewer.getMap('markup').set(`m${i}`, new Y.Map([['pts', [1, 2, 3, 4]]])))
    } else {
      editor.getMap('shapes').delete(`s${i - 9}`)
    }
    // keep the writers in sync like the server would
    const last = stream[stream.length - 1]!
    Y.applyUpdate(last.who === 'editor' ? reviewer : editor, last.u)
  }
  let guardNs = 0n
  let applyNs = 0n
  for (const { u, who } of stream) {
    const t0 = process.hrtime.bigint()
    const v = checkUpdate(u, state, { principalKey: `user:${who}`, role: who, guest: false })
    const t1 = process.hrtime.bigint()
    if (!v.ok) throw new Error(`guard refused an honest update: ${JSON.stringify(v)}`)
    Y.applyUpdate(server, u)
    const t2 = process.hrtime.bigint()
    guardNs += t1 - t0
    applyNs += t2 - t1
  }
  return {
    updates: stream.length,
    guardUsPerUpdate: round(Number(guardNs) / 1000 / stream.length),
    applyUsPerUpdate: round(Number(applyNs) / 1000 / stream.length),
  }
}
