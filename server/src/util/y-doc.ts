// Every Y.Doc the server makes. Yjs gives a document without a guid a random
// UUID, drawn one hex digit at a time from crypto.getRandomValues: 5% of the
// server's CPU when boards are opened and left in a loop on the embedded
// database (docs/PERFORMANCE.md, issue 17). A guid only names subdocuments,
// which boards never have, and never travels in the sync protocol, so a
// counter does.
import * as Y from 'yjs'
import { DOC_ROOTS } from '../../../shared/constants.js'

let made = 0

/** A document, with `gc` as given (Yjs's default: on). */
export function plainDoc(gc = true): Y.Doc {
  const doc = new Y.Doc({ guid: `d${++made}`, gc })
  doc.on('afterAllTransactions', forgetFinished)
  return doc
}

/**
 * Empties the list Yjs kept a document's finished transactions in. When its
 * last transaction ends, Yjs gives the document a new list, hands the old
 * one to this event as its last use of it, and leaves it holding what it
 * listed. On a board edited every second or so, that list lives long enough
 * for V8 to move it to the old generation, and from there, until the next
 * full collection, it keeps each finished transaction (its maps, sets and
 * events) alive through every young collection: copied, then promoted, then
 * garbage. In the peer benchmark's scenario C this, with the same for a
 * room's broadcast outbox, took what is promoted at each young collection
 * from about 1.6 MB to 0.76-0.85 MB, and the collections from 10.6-14.6 ms
 * to 7.5 on average (docs/PERFORMANCE.md, "Promoted garbage").
 */
function forgetFinished(_doc: Y.Doc, finished: Y.Transaction[]): void {
  finished.length = 0
}

/** A board's document: its root maps defined, so they exist before anything is applied. */
export function boardDoc(gc = true): Y.Doc {
  const doc = plainDoc(gc)
  for (const root of DOC_ROOTS) doc.getMap(root)
  return doc
}
