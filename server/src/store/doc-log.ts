// What a room needs from storage: the board's document as stored, who owns
// which client id, and an append-only log. DocStore implements it on the
// database; tests use an in-memory one.

export interface LoadedDoc {
  /** The compacted state, if any. */
  snapshot: Uint8Array | null
  /** Log entries after the snapshot, in order. */
  updates: Uint8Array[]
  /** The snapshot as a ready sync step 2 frame, when it was kept in memory (`snapshot` is a view into it). */
  snapshotFrame?: Uint8Array
  bytes: number
  logCount: number
}

/** A principal by kind and id, as the client-id table stores it (auth/principals.ts builds its key). */
export interface Owner {
  kind: 'user' | 'guest'
  id: string
}

export interface DocLog {
  /** The board's stored document; rejects when the board no longer exists. */
  load(boardId: string): Promise<LoadedDoc>
  /** Who owns which client id on the board. */
  loadOwners(boardId: string): Promise<Map<number, Owner>>
  /** Claims client ids for a principal unless someone already has them; answers who owns each. */
  claim(boardId: string, ids: number[], owner: Owner): Promise<Map<number, Owner>>
  /**
   * Resolves once the update is durable (false: its board was deleted
   * meanwhile). Stored in the order appended, with the principal key of
   * whoever sent it (history attributes deletions by it).
   */
  append(boardId: string, update: Uint8Array, actor?: string): Promise<boolean>
  /** Waits until everything appended so far is durable. */
  flush(): Promise<void>
}
