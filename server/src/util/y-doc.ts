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
  return new Y.Doc({ guid: `d${++made}`, gc })
}

/** A board's document: its root maps defined, so they exist before anything is applied. */
export function boardDoc(gc = true): Y.Doc {
  const doc = plainDoc(gc)
  for (const root of DOC_ROOTS) doc.getMap(root)
  return doc
}
