// Boards' latest snapshots kept in memory, least recently used going first:
// a board that empties and is joined again is served without reading its
// state back from the database, and a big board's next compaction starts
// from here (DocStore.compactLive).
import { encodeSyncStep2 } from '../../../shared/protocol.js'

/** How much the kept snapshots may take in all. */
export const RECENT_SNAPSHOT_BYTES = 32 * 1024 * 1024

export interface KeptSnapshot {
  /** The snapshot (a view into `frame`). */
  data: Uint8Array
  /** It framed as the sync step 2 a joiner is sent. */
  frame: Uint8Array
  lastSeq: number
}

export class RecentSnapshots {
  private readonly kept = new Map<string, KeptSnapshot>()
  private bytes = 0

  constructor(private readonly limit = RECENT_SNAPSHOT_BYTES) {}

  get(boardId: string): KeptSnapshot | undefined {
    return this.kept.get(boardId)
  }

  /**
   * Keeps the board's latest snapshot, framed once as the sync step 2 a
   * joiner is sent: every later cold join sends these very bytes, with no
   * megabyte copy per join. One over a quarter of the limit is framed but
   * not kept.
   */
  remember(boardId: string, snapshot: Uint8Array, lastSeq: number): KeptSnapshot {
    const frame = encodeSyncStep2(snapshot)
    const entry = { data: frame.subarray(frame.length - snapshot.length), frame, lastSeq }
    this.drop(boardId)
    if (frame.length > this.limit / 4) return entry
    this.kept.set(boardId, entry)
    this.bytes += frame.length
    for (const [id, kept] of this.kept) {
      if (this.bytes <= this.limit) break
      this.kept.delete(id)
      this.bytes -= kept.frame.length
    }
    return entry
  }

  drop(boardId: string): void {
    const old = this.kept.get(boardId)
    if (!old) return
    this.kept.delete(boardId)
    this.bytes -= old.frame.length
  }
}
