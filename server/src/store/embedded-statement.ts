// One statement that returns no rows, through PGlite's wire protocol as it
// stands, for the log's appends (log-append.ts). PGlite's own `exec` wraps
// every statement in two mutexes (each a chain of promises and generator
// frames), syncs its file system afterwards (a no-op for a data directory on
// disk, and still a third mutex) and parses every reply into result objects:
// about a third of what the server allocated under load, and over half of
// what survived young collections, since a collection that lands during a
// commit finds all of it alive (docs/PERFORMANCE.md, "What PGlite's exec
// allocates"). An append needs none of it: it runs in its turn
// (loop-turns.ts), when no other statement is using PGlite, and only needs
// to know whether it failed.
import { type PGlite, protocol } from '@electric-sql/pglite'

type DatabaseError = InstanceType<typeof protocol.messages.DatabaseError>

/**
 * Runs `text` (one statement, no rows back) at once, outside PGlite's
 * mutexes: only for a caller that holds the database's turn, outside any
 * transaction. Rejects with PostgreSQL's error, as `exec` would.
 */
export async function runStatement(pg: PGlite, text: string): Promise<void> {
  let error: DatabaseError | null = null
  const parser = new protocol.Parser()
  await pg.execProtocolRawStream(protocol.serialize.query(text), {
    // The data directory is on disk (NodeFS) or in memory: nothing to sync.
    syncToFs: false,
    // A view into PGlite's memory, valid during this call only: parsed at once.
    onRawData: (bytes) =>
      parser.parse(bytes, (message) => {
        if (error === null && message instanceof protocol.messages.DatabaseError) error = message
      }),
  })
  if (error !== null) throw error
}
