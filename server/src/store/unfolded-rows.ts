// The updates appended to a big board since its last snapshot, kept end to
// end in a few large buffers (see DocStore.compactLive). Each update as an
// array of its own would cost an object and a backing store per row, and an
// update may be a view into a socket's pooled buffer, which it would keep
// alive whole.
import type { MergeJob } from './merge-inline.js'

const CHUNK_BYTES = 64 * 1024

export class UnfoldedRows {
  private readonly chunks: { bytes: Uint8Array; used: number; lengths: number[] }[] = []
  rows = 0
  bytes = 0

  add(update: Uint8Array): void {
    let last = this.chunks[this.chunks.length - 1]
    if (!last || last.used + update.length > last.bytes.length) {
      last = { bytes: new Uint8Array(Math.max(CHUNK_BYTES, update.length)), used: 0, lengths: [] }
      this.chunks.push(last)
    }
    last.bytes.set(update, last.used)
    last.used += update.length
    last.lengths.push(update.length)
    this.rows++
    this.bytes += update.length
  }

  /** Appends another buffer's rows after these (a merge of these rows did not land). */
  addAll(other: UnfoldedRows): void {
    for (const chunk of other.chunks) {
      let at = 0
      for (const n of chunk.lengths) {
        this.add(chunk.bytes.subarray(at, at + n))
        at += n
      }
    }
  }

  /** Hands every row to `job`, in order. */
  sendTo(job: MergeJob): void {
    for (const chunk of this.chunks) if (chunk.lengths.length > 0) job.addPacked(chunk.bytes.subarray(0, chunk.used), Uint32Array.from(chunk.lengths))
  }
}
