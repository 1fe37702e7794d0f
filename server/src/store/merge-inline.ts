// Merging a board's updates on this thread: a small log's compaction, the
// history's rebuilds, and the reference the merge worker must match.
import * as Y from 'yjs'
import { plainDoc } from '../util/y-doc.js'

/** The rows of a packed slice (all rows' bytes back to back, and each row's length). */
export function unpackRows(packed: Uint8Array, lengths: Uint32Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let at = 0
  for (const n of lengths) {
    out.push(packed.subarray(at, at + n))
    at += n
  }
  return out
}

function applyAll(doc: Y.Doc, updates: readonly Uint8Array[]): void {
  Y.transact(doc, () => {
    for (const u of updates) Y.applyUpdate(doc, u)
  })
}

/** The merge done in-process: the fallback, and the reference the worker must match. */
export function mergeInline(updates: Uint8Array[]): Uint8Array {
  const doc = plainDoc()
  applyAll(doc, updates)
  const out = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return out
}

export interface MergeJob {
  /** Applies these updates after the ones added before. */
  add(updates: Uint8Array[]): void
  /** The same for updates stored end to end in `packed`, `lengths[i]` bytes each. */
  addPacked(packed: Uint8Array, lengths: Uint32Array): void
  /** The merged state of everything added. */
  finish(): Promise<Uint8Array>
  /** Lets the job go without a result. */
  cancel(): void
}

/**
 * A merge on this thread, applied as each slice is added. For a small log
 * only (see INLINE_MERGE in compaction-read.ts): the main thread's Yjs code
 * is already compiled by live traffic, where the worker's runs cold, and a
 * worker's first start and merge of 500 small updates took 88-130 ms of the
 * server's one core and 13.5-15.6 MB (`npm run bench merge`), against 16-33 ms
 * and 0.3 MB on this thread, cold.
 */
export function inlineJob(): MergeJob {
  let doc: Y.Doc | null = plainDoc()
  const add = (updates: readonly Uint8Array[]) => {
    if (doc) applyAll(doc, updates)
  }
  return {
    add,
    addPacked: (packed, lengths) => add(unpackRows(packed, lengths)),
    finish: async () => {
      const d = doc
      if (!d) throw new Error('merge cancelled')
      doc = null
      try {
        return Y.encodeStateAsUpdate(d)
      } finally {
        d.destroy()
      }
    },
    cancel: () => {
      doc?.destroy()
      doc = null
    },
  }
}
