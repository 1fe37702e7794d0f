// When a room's document and storage part ways. A document Yjs failed to
// apply an update to is rebuilt from the database; what other instances
// stored reaches the room from the bus, or is read from the database when the
// bus lost or reordered it (or an update builds on it).
import type { Logger } from 'pino'
import type { DocLog } from '../store/doc-log.js'
import type { Connection } from './connection.js'
import type { Durability } from './durability.js'
import type { RoomDocument } from './room-document.js'
import type { SizeAccount } from './size-account.js'

export interface RecoveryHost {
  readonly boardId: string
  readonly destroyed: boolean
  /** Sends a stored update to every peer but `from`. */
  broadcast(update: Uint8Array, from: Connection | null): void
  /** The room can no longer vouch for its document (storage failed). */
  broken(why: string): void
}

/** The parts of the sync core a recovery resets. */
export interface RecoveryParts {
  document: RoomDocument
  size: SizeAccount
  durability: Durability
  /** The document was rebuilt: whoever waits for our step 1 gets it. */
  rebuilt(): void
}

export class RoomRecovery {
  private rebuildRun: Promise<void> | null = null
  private catchingUp: { started: number; done: Promise<void> } | null = null
  /** When the last finished catch-up started reading the database. */
  private lastCatchUp = -Infinity

  constructor(
    private readonly host: RecoveryHost,
    private readonly docLog: DocLog,
    private readonly log: Logger,
    private readonly parts: RecoveryParts,
  ) {}

  /** Set while the document is being rebuilt from the database: every message waits for it. */
  get rebuilding(): Promise<void> | null {
    return this.rebuildRun
  }

  /** Rebuilds the document from the database, after everything accepted so far is stored. */
  rebuild(): void {
    if (this.rebuilding) return
    this.rebuildRun = (async () => {
      await this.docLog.flush()
      const loaded = await this.docLog.load(this.host.boardId)
      if (this.host.destroyed) return
      this.parts.document.replace(loaded)
      this.parts.size.reset(loaded.bytes)
      this.parts.durability.reset()
      this.parts.rebuilt()
    })()
      .catch((err: unknown) => {
        this.log.error({ err, boardId: this.host.boardId }, 'rebuilding a room failed')
        this.host.broken('rebuild failed')
      })
      .finally(() => {
        this.rebuildRun = null
      })
  }

  /**
   * Applies what the database has that the room lacks, as of a read started
   * at or after `since` (performance.now()): one read serves everyone who
   * needs no fresher one.
   */
  catchUpFromStore(since: number): Promise<void> {
    if (this.catchingUp && this.catchingUp.started >= since) return this.catchingUp.done
    if (this.lastCatchUp >= since && !this.catchingUp) return Promise.resolve()
    const wait = this.catchingUp?.done ?? Promise.resolve()
    const run = wait.then(async () => {
      const started = performance.now()
      try {
        const loaded = await this.docLog.load(this.host.boardId)
        if (!this.host.destroyed && !this.rebuilding) this.catchUp([...(loaded.snapshot ? [loaded.snapshot] : []), ...loaded.updates])
        this.lastCatchUp = Math.max(this.lastCatchUp, started)
      } catch (err) {
        this.log.warn({ err, boardId: this.host.boardId }, 'catching up from storage failed')
      }
    })
    const entry = { started: performance.now(), done: run }
    this.catchingUp = entry
    void run.finally(() => {
      if (this.catchingUp === entry) this.catchingUp = null
    })
    return run
  }

  /**
   * Applies an update another instance accepted (guarded and stored there).
   * False if it depends on something we have not seen yet: the caller
   * should catch up from the database.
   */
  applyRemote(update: Uint8Array): boolean {
    if (this.rebuilding) {
      // The rebuild reads the database, which has it.
      return true
    }
    let complete: boolean
    try {
      complete = this.parts.document.applyRemote(update)
    } catch (err) {
      this.log.error({ err, boardId: this.host.boardId }, 'a remote update could not be applied; rebuilding the room from storage')
      this.rebuild()
      return true
    }
    this.parts.size.grew(update.length)
    this.host.broadcast(update, null)
    return complete
  }

  /** Applies stored state the room may lack; peers get only what was new. */
  catchUp(stored: Uint8Array[]): void {
    if (this.rebuilding) return
    const diff = this.parts.document.merge(stored)
    if (diff) this.host.broadcast(diff, null)
  }
}
