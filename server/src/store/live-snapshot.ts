// A compaction's snapshot from the board's live document, on the embedded
// database with one instance (DocStore.compactNow decides when): the log's
// read (thousands of rows on the one thread that also serves the room:
// stalls of 50-120 ms under load) and its merge are skipped.
import type { Logger } from 'pino'
import * as Y from 'yjs'
import type { CompactionEdge } from './compaction-read.js'
import type { MergedLog, MergeWorker } from './merge-worker.js'
import type { KeptSnapshot } from './recent-snapshots.js'
import { UnfoldedRows } from './unfolded-rows.js'

/** A board encoded bigger than this is next compacted from memory in the worker. */
export const LIVE_ENCODE_MAX_BYTES = 128 * 1024

export interface LiveBoard {
  boardId: string
  /** The room's document: holds every row of the log (each applied before it was appended). */
  doc: Y.Doc
  edge: CompactionEdge
  /** The board's snapshot as kept in memory, if any. */
  kept: KeptSnapshot | undefined
  /** Rows and bytes of the log since the snapshot, as counted (what the snapshot folds). */
  folded: number
  foldedBytes: number
  /** Settles true once the rows appended before now are stored (AppendQueue.lastStored). */
  stored: Promise<boolean>
  /** Whether none of the board's appends has failed since the compaction began. */
  clean(): boolean
}

export interface LiveSnapshot {
  merged: MergedLog | 'stale'
  /** 'live': the document encoded here; 'memory': the kept snapshot and rows, merged by the worker. */
  from: 'live' | 'memory'
  /** Called with whether the snapshot landed. */
  settle(landed: boolean): void
}

/**
 * The board's live document as the snapshot up to the edge. Every row up to
 * the edge was appended before now, so the document holds it; it may hold
 * later rows too, which the next load applies again (Yjs ignores what a
 * document already has). It may also hold rows not stored yet: the snapshot
 * is 'stale' unless they all get stored and none of the board's appends fails
 * meanwhile (the room is then dropped, and until then its compactions read
 * the log). `unfolded` holds, per big board, the rows appended since its
 * last snapshot from here (DocStore.append adds to it).
 */
export async function liveSnapshot(board: LiveBoard, unfolded: Map<string, UnfoldedRows>, merger: MergeWorker, logger: Logger): Promise<LiveSnapshot> {
  const { boardId, kept, edge } = board
  const rows = unfolded.get(boardId)
  let data: Uint8Array | null
  let from: LiveSnapshot['from']
  let settle: (landed: boolean) => void
  if (rows && kept && kept.lastSeq === edge.lastSeq) {
    // A big board: its last snapshot and the rows appended since, merged
    // in the worker. This thread only copies them (a few milliseconds
    // where encoding the document took 40-80 ms per 2 MB).
    from = 'memory'
    const since = new UnfoldedRows()
    unfolded.set(boardId, since)
    const job = merger.job()
    job.add([kept.data])
    rows.sendTo(job)
    data = await job.finish().catch((err: unknown) => {
      logger.warn({ err, boardId }, 'the merge worker failed; the board\'s document is encoded instead next time')
      return null
    })
    settle = (landed) => {
      if ((landed && data) || unfolded.get(boardId) !== since) return
      // Not folded: these rows stay ahead of the ones appended since, or,
      // without the worker, the next compaction encodes the document.
      if (data) {
        rows.addAll(since)
        unfolded.set(boardId, rows)
      } else unfolded.delete(boardId)
    }
  } else {
    from = 'live'
    data = Y.encodeStateAsUpdate(board.doc)
    // Encoding grows with the board: a big one's next compaction merges
    // this snapshot and the rows appended from now on instead.
    const since = data.length > LIVE_ENCODE_MAX_BYTES ? new UnfoldedRows() : null
    if (since) {
      unfolded.set(boardId, since)
      merger.prepare()
    } else unfolded.delete(boardId)
    settle = (landed) => {
      if (!landed && since && unfolded.get(boardId) === since) unfolded.delete(boardId)
    }
  }
  const merged = data && (await board.stored) && board.clean() ? { data, lastSeq: edge.upto, folded: board.folded, foldedBytes: board.foldedBytes } : 'stale'
  return { merged, from, settle }
}
