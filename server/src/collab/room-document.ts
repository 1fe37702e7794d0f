// A room's document: the Y.Doc, built from the stored state only once it is
// needed, and the sync frames made from it, cached until it changes (the
// whole state longer: see fullState).
import * as Y from 'yjs'
import { encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate } from '../../../shared/protocol.js'
import type { LoadedDoc } from '../store/doc-log.js'
import { boardDoc } from '../util/y-doc.js'
import { rootNamesOf } from './guard.js'

export const EMPTY_STATE_VECTOR = (sv: Uint8Array) => sv.length === 1 && sv[0] === 0

/**
 * A joiner is sent the cached whole state and then each update applied
 * since, until there are this many of them or they are bigger than the
 * cached state (and TAIL_MIN_BYTES); then the state is encoded again. So a
 * board that grows fast (a big paste applied in slices while people join)
 * is encoded a few times as it doubles, not once per joiner.
 */
export const TAIL_MAX_UPDATES = 512
const TAIL_MIN_BYTES = 256 * 1024

export interface DocumentHooks {
  /** The Y.Doc was just built from the stored state. */
  built(): void
  /** What was loaded left structs pending (the stored document is not whole). */
  pendingStructs(): void
}

export class RoomDocument {
  private ydoc = boardDoc()
  /**
   * The stored state not yet applied to `ydoc`. A board loaded from a single
   * snapshot is served from these bytes as they are; the Y.Doc is only built
   * (hundreds of milliseconds for a big board) once someone needs it: a
   * writer, or a client that already has content.
   */
  private pendingState: Uint8Array | null = null
  private names: Map<Y.AbstractType<any>, string>
  private step1Cache: Uint8Array | null = null
  private fullStateCache: Uint8Array | null = null
  /** Updates applied since fullStateCache was encoded (none while there is no cache), and the first of them framed. */
  private tail: Uint8Array[] = []
  private tailBytes = 0
  private readonly tailFrames: Uint8Array[] = []

  constructor(
    loaded: LoadedDoc,
    private readonly hooks: DocumentHooks,
  ) {
    this.names = rootNamesOf(this.ydoc)
    this.load(loaded)
  }

  private load(loaded: LoadedDoc): void {
    if (loaded.snapshot && loaded.updates.length === 0) {
      this.pendingState = loaded.snapshot
      this.fullStateCache = loaded.snapshotFrame ?? encodeSyncStep2(loaded.snapshot)
    } else {
      Y.transact(this.ydoc, () => {
        if (loaded.snapshot) Y.applyUpdate(this.ydoc, loaded.snapshot)
        for (const u of loaded.updates) Y.applyUpdate(this.ydoc, u)
      })
      this.checkIntegrity()
    }
  }

  /** Starts over from a fresh load (the room is rebuilt from the database). */
  replace(loaded: LoadedDoc): void {
    this.ydoc.destroy()
    this.ydoc = boardDoc()
    this.names = rootNamesOf(this.ydoc)
    this.pendingState = null
    this.changed(null)
    this.load(loaded)
  }

  /** Whether the Y.Doc is built (or still only the stored bytes). */
  get built(): boolean {
    return this.pendingState === null
  }

  /** The board document, built from the stored state on first use. */
  get doc(): Y.Doc {
    if (this.pendingState !== null) {
      const state = this.pendingState
      this.pendingState = null
      Y.applyUpdate(this.ydoc, state)
      this.checkIntegrity()
      this.hooks.built()
    }
    return this.ydoc
  }

  get rootNames(): Map<Y.AbstractType<any>, string> {
    return this.names
  }

  private checkIntegrity(): void {
    if (this.ydoc.store.pendingStructs || this.ydoc.store.pendingDs) this.hooks.pendingStructs()
  }

  /**
   * The document changed by `update` (null: in a way no single update
   * describes). The whole state stays cached with `update` added to its tail,
   * unless the tail has grown too long to be worth it.
   */
  private changed(update: Uint8Array | null): void {
    this.step1Cache = null
    if (this.fullStateCache === null) return
    const limit = Math.max(TAIL_MIN_BYTES, this.fullStateCache.length)
    if (update !== null && this.tail.length < TAIL_MAX_UPDATES && this.tailBytes + update.length <= limit) {
      this.tail.push(update)
      this.tailBytes += update.length
      return
    }
    this.dropFullState()
  }

  private dropFullState(): void {
    this.fullStateCache = null
    this.tail = []
    this.tailBytes = 0
    this.tailFrames.length = 0
  }

  step1(): Uint8Array {
    return (this.step1Cache ??= encodeSyncStep1(Y.encodeStateVector(this.doc)))
  }

  /**
   * The whole state for a joiner with an empty document: a sync step 2 and
   * then, as updates, whatever was applied since that was encoded. Encoding
   * a big board takes hundreds of milliseconds; while people edit it, every
   * joiner would otherwise pay that again, holding the event loop for
   * everyone. (Merging the updates since into one would cost a decode of
   * each; framing them costs a copy.)
   */
  fullState(): Uint8Array[] {
    // Without a cached state the tail is empty (changed() keeps none, dropFullState() clears it).
    this.fullStateCache ??= encodeSyncStep2(Y.encodeStateAsUpdate(this.doc))
    for (let i = this.tailFrames.length; i < this.tail.length; i++) this.tailFrames.push(encodeSyncUpdate(this.tail[i]!))
    return [this.fullStateCache, ...this.tailFrames]
  }

  /** What a client with `stateVector` lacks, as a sync step 2; null when the state vector cannot be read. */
  diffFor(stateVector: Uint8Array): Uint8Array | null {
    try {
      return encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, stateVector))
    } catch {
      return null
    }
  }

  /** The stored state as one update, without building the document if it is not built. */
  state(): Uint8Array {
    return this.pendingState ?? Y.encodeStateAsUpdate(this.ydoc)
  }

  /**
   * Applies an accepted update; the failure, if Yjs threw or left any of the
   * update's structs pending (short of the clocks in `ends`), else null.
   * Structs already pending before (a remote update that arrived ahead of one
   * it needs, waiting for a catch-up) are not this update's doing.
   */
  apply(update: Uint8Array, origin: unknown, ends: Map<number, number>): unknown {
    const doc = this.doc
    try {
      Y.applyUpdate(doc, update, origin)
    } catch (err) {
      return err
    }
    for (const [client, end] of ends) {
      if (Y.getState(doc.store, client) < end) return new Error(`structs of client ${client} left pending`)
    }
    this.changed(update)
    return null
  }

  /** Applies an update another instance accepted; false if some of it waits for something not seen yet. Throws as Yjs does. */
  applyRemote(update: Uint8Array): boolean {
    const doc = this.doc
    // Should it throw half-way, the cached state is dropped all the same.
    try {
      Y.applyUpdate(doc, update, 'remote')
    } catch (err) {
      this.changed(null)
      throw err
    }
    this.changed(update)
    return doc.store.pendingStructs === null && doc.store.pendingDs === null
  }

  /** Applies stored state the document may lack; returns what was new (null: nothing). */
  merge(stored: Uint8Array[]): Uint8Array | null {
    const doc = this.doc
    const before = Y.encodeStateVector(doc)
    Y.transact(doc, () => {
      for (const u of stored) Y.applyUpdate(doc, u, 'remote')
    })
    const diff = Y.encodeStateAsUpdate(doc, before)
    // An update with no structs and no deletes is two zero bytes.
    if (diff.length <= 2) return null
    this.changed(diff)
    return diff
  }

  destroy(): void {
    this.ydoc.destroy()
    this.pendingState = null
  }
}
