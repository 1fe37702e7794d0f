// Big updates cut into slices that, applied in order, are the update: each
// slice refers only to what earlier slices (or the server) hold, so it can be
// guarded and applied in a loop turn of its own (see work-queue.ts). Works on
// the structural pass of update-scan.ts; pure functions.
import * as encoding from 'lib0/encoding'
import type { UpdateScan } from './update-scan.js'

/**
 * An order in which the update's structs can be integrated one by one (each
 * after everything of this update it refers to), as global struct numbers
 * (run r's struct i is the sum of the earlier runs' lengths plus i). Null
 * when the references go in a circle: Yjs would leave such structs pending
 * for ever, so the guard refuses them.
 */
export function integrationOrder(s: UpdateScan): { order: Int32Array; base: number[]; runOf: (g: number) => number } | null {
  if (s.runs.length === 1) {
    // One client: its own clock order (references to its later clocks are the guard's to refuse).
    const order = new Int32Array(s.structs)
    for (let i = 0; i < order.length; i++) order[i] = i
    return { order, base: [0], runOf: () => 0 }
  }
  // Structs are numbered globally: run r's struct i is base[r] + i.
  const base: number[] = []
  let n = 0
  for (const run of s.runs) {
    base.push(n)
    n += run.offsets.length - 1
  }
  const runIndex = new Map(s.runs.map((run, r) => [run.client, r]))
  // Edges from a referenced struct to the one referring to it (besides the
  // implicit edge from each struct to the next of its client), as lists.
  const waiting = new Int32Array(n)
  const edges: number[][] = []
  for (let r = 0; r < s.runs.length; r++) {
    const run = s.runs[r]!
    for (let i = 1; i < run.offsets.length - 1; i++) waiting[base[r]! + i]!++
    for (let k = 0; k < run.foreign.length; k += 3) {
      const t = runIndex.get(run.foreign[k + 1]!)
      if (t === undefined) continue
      const target = s.runs[t]!
      const clock = run.foreign[k + 2]!
      if (clock < target.clocks[0]! || clock >= target.clocks[target.clocks.length - 1]!) continue
      let lo = 0
      let hi = target.clocks.length - 2
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if (target.clocks[mid]! <= clock) lo = mid
        else hi = mid - 1
      }
      const from = base[t]! + lo
      const to = base[r]! + run.foreign[k]!
      ;(edges[from] ??= []).push(to)
      waiting[to]!++
    }
  }
  const runOf = (g: number) => {
    let r = s.runs.length - 1
    while (base[r]! > g) r--
    return r
  }
  const order = new Int32Array(n)
  let head = 0
  let tail = 0
  for (let r = 0; r < s.runs.length; r++) if (waiting[base[r]!] === 0) order[tail++] = base[r]!
  while (head < tail) {
    const g = order[head++]!
    const r = runOf(g)
    const next = g + 1
    if (next < (base[r + 1] ?? n) && --waiting[next]! === 0) order[tail++] = next
    for (const to of edges[g] ?? []) if (--waiting[to]! === 0) order[tail++] = to
  }
  if (tail !== n) return null
  return { order, base, runOf }
}

/**
 * Cuts an update into updates of at most `maxStructs` structs each, in an
 * order where everything a slice refers to from this update is in an earlier
 * slice (or the same one); the delete set goes with the last. Applied in
 * order they are the update. Null when the update's own references go in a
 * circle (Yjs could not apply it either).
 */
export function sliceUpdate(update: Uint8Array, s: UpdateScan, maxStructs: number): Uint8Array[] | null {
  if (s.structs <= maxStructs) return [update]
  const integration = integrationOrder(s)
  if (!integration) return null
  const { order, base, runOf } = integration
  const n = s.structs
  const slices: Uint8Array[] = []
  for (let from = 0; from < n; from += maxStructs) {
    // Each client's structs in one slice form one contiguous range: every
    // struct between two of them comes between them in the order too.
    const ranges = new Map<number, { lo: number; hi: number }>()
    for (let k = from; k < Math.min(n, from + maxStructs); k++) {
      const g = order[k]!
      const r = runOf(g)
      const i = g - base[r]!
      const had = ranges.get(r)
      if (!had) ranges.set(r, { lo: i, hi: i })
      else {
        had.lo = Math.min(had.lo, i)
        had.hi = Math.max(had.hi, i)
      }
    }
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, ranges.size)
    for (const [r, { lo, hi }] of ranges) {
      const run = s.runs[r]!
      encoding.writeVarUint(e, hi + 1 - lo)
      encoding.writeVarUint(e, run.client)
      encoding.writeVarUint(e, run.clocks[lo]!)
      // v1 structs carry no state between them: their bytes are copied as they are.
      encoding.writeUint8Array(e, update.subarray(run.offsets[lo]!, run.offsets[hi + 1]!))
    }
    if (from + maxStructs >= n) encoding.writeUint8Array(e, update.subarray(s.dsStart, s.dsEnd))
    else encoding.writeVarUint(e, 0)
    slices.push(encoding.toUint8Array(e))
  }
  return slices
}
