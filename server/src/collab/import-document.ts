// A board document from an imported Yjs update, taken the way live updates
// are: its structure bounded before decoding (update-scan), cut into slices
// applied one event-loop turn each, every slice through the update guard as
// the importing owner, and the result no bigger than a board may be. What is
// stored is the state Yjs built, never the uploaded bytes.
import * as Y from 'yjs'
import type { RefusalReason } from '../../../shared/constants.js'
import { boardDoc } from '../util/y-doc.js'
import { checkUpdate, rootNamesOf } from './guard.js'
import { scanUpdate, type UpdateLimits } from './update-scan.js'
import { sliceUpdate } from './update-slices.js'
import { heavyTurns, SLICE_STRUCTS } from './work-queue.js'

export interface ImportLimits {
  /** The guard's limits on values (nesting, key length); counts are bounded by the import's size instead. */
  update: UpdateLimits
  maxDocBytes: number
}

export type ImportResult =
  | { ok: true; state: Uint8Array; clients: number[] }
  | { ok: false; reason: RefusalReason | 'too_large'; detail: string }

export async function importDocument(update: Uint8Array, principalKey: string, limits: ImportLimits): Promise<ImportResult> {
  // An export holds a board's whole history: more structs and client ids
  // than one live message may carry. The upload's size bounds those.
  const counts = { ...limits.update, maxStructs: Number.MAX_SAFE_INTEGER, maxClients: Number.MAX_SAFE_INTEGER, maxDeleteRanges: Number.MAX_SAFE_INTEGER }
  const scanned = scanUpdate(update, counts)
  if (!scanned.ok) return { ok: false, reason: scanned.reason, detail: scanned.detail }
  const slices = sliceUpdate(update, scanned.scan, SLICE_STRUCTS)
  if (!slices) return { ok: false, reason: 'unresolvable', detail: "the update's structs refer to each other in a circle" }
  const clients = scanned.scan.runs.map((r) => r.client)
  const owners = new Map(clients.map((c) => [c, principalKey]))
  const doc = boardDoc()
  const rootNames = rootNamesOf(doc)
  try {
    for (const slice of slices) {
      if (slices.length > 1) await heavyTurns.next()
      const verdict = checkUpdate(slice, { doc, rootNames, owners, locked: false, archived: false }, { principalKey, role: 'owner', guest: false }, undefined, counts)
      if (!verdict.ok) {
        return { ok: false, reason: verdict.reason === 'unclaimed' ? 'foreign_client' : verdict.reason, detail: 'detail' in verdict ? verdict.detail : '' }
      }
      try {
        Y.applyUpdate(doc, slice)
      } catch (err) {
        return { ok: false, reason: 'unresolvable', detail: `could not be applied: ${(err as Error).message}` }
      }
      if (doc.store.pendingStructs || doc.store.pendingDs) return { ok: false, reason: 'unresolvable', detail: 'refers to content it does not hold' }
    }
    const state = Y.encodeStateAsUpdate(doc)
    if (state.length > limits.maxDocBytes) return { ok: false, reason: 'too_large', detail: `the board would be larger than ${limits.maxDocBytes} bytes` }
    return { ok: true, state, clients }
  } finally {
    doc.destroy()
  }
}
