// The durable log's one hot statement, written out instead of built by the
// query builder: it runs once per commit, which on a quiet board is once per
// update, and building it cost more of the server's CPU than the database
// round trip's own work in this process (see docs/PERFORMANCE.md, issue 17).
import { type Db, driverClient, isEmbedded, statementRunner } from './db.js'

export interface LogRow {
  boardId: string
  data: Uint8Array
  actor: string | null
}

/**
 * Inserts the rows into doc_updates in one statement, in their order, and
 * answers the boards whose rows were not stored because the board is gone
 * (nearly always none). May instead throw for a gone board, storing nothing.
 */
export type AppendRows = (rows: readonly LogRow[]) => Promise<ReadonlySet<string>>

const COLUMNS = 'INSERT INTO doc_updates (board_id, data, actor)'
// On PostgreSQL the board row is locked (KEY SHARE) before the row takes its
// sequence number, and held until the commit: a compaction locks it FOR
// UPDATE before it reads how far the log goes, so it waits for every append
// that already holds a number. Otherwise, with two instances writing one
// board, a row numbered 100 could still be in flight while 101 is visible,
// and a snapshot "up to 101" would leave 100 out of every later load. (A
// plain INSERT takes that lock only in its foreign-key check, after the
// number.) A missing board inserts nothing instead of failing the key check.
const ONE_ROW = `${COLUMNS} SELECT b.id, $2::bytea, $3::text FROM (SELECT id FROM boards WHERE id = $1 FOR KEY SHARE) b`
// One statement text for any batch size, so PostgreSQL plans it once per
// connection. Boards are locked in id order, so two batches never wait on
// each other in a cycle; a board's own rows keep their order.
const ROWS_AS_ARRAYS = `${COLUMNS} SELECT l.board_id, l.data, l.actor FROM (
  SELECT u.board_id, u.data, u.actor FROM unnest($1::text[], $2::bytea[], $3::text[]) WITH ORDINALITY AS u(board_id, data, actor, n)
  JOIN boards b ON b.id = u.board_id ORDER BY u.board_id, u.n FOR KEY SHARE OF b) l`
const PLAIN_VALUES = (rows: number) =>
  `${COLUMNS} VALUES ${Array.from({ length: rows }, (_, i) => `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3})`).join(', ')}`

const NONE: ReadonlySet<string> = new Set()
/** Board ids and principal keys as this server makes them: safe to write as SQL literals. */
const PLAIN_ID = /^[\w:.-]{1,200}$/
/** Rows bigger than this in all go to PGlite as parameters, not literals. */
const LITERAL_MAX_BYTES = 16 * 1024

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))

/**
 * The append for `db`'s driver: prepared once per connection on PostgreSQL;
 * on PGlite (one connection, one process, so nothing else is ever in flight)
 * a plain insert, whose key check fails the whole batch for a gone board,
 * sent straight to PGlite's protocol in its turn (embedded-statement.ts).
 */
export function rowAppender(db: Db): AppendRows {
  const client = driverClient(db)
  if (isEmbedded(client)) {
    // Every handle Store.open makes has the runner; exec (also in turn) is for any other.
    const statement = statementRunner(db) ?? ((text: string) => client.exec(text))
    return async (rows) => {
      // The simple query protocol takes a fifth less of this thread than a
      // parameterised query (one pass through PGlite instead of parse, bind
      // and execute). Values go in as literals only when they are plain ids;
      // anything else takes the parameterised path, and so do big rows (a
      // parameter goes as bytes; a literal is twice as long in hex, and the
      // whole statement is measured and encoded again as UTF-8 in JavaScript).
      let bytes = 0
      for (const r of rows) bytes += r.data.length
      if (bytes <= LITERAL_MAX_BYTES && rows.every((r) => PLAIN_ID.test(r.boardId) && (r.actor === null || PLAIN_ID.test(r.actor)))) {
        const literal = (id: string | null) => (id === null ? 'NULL' : `'${id}'`)
        await statement(`${COLUMNS} VALUES ${rows.map((r) => `(${literal(r.boardId)}, '\\x${asBuffer(r.data).toString('hex')}', ${literal(r.actor)})`).join(', ')}`)
      } else {
        await client.query(
          PLAIN_VALUES(rows.length),
          rows.flatMap((r) => [r.boardId, r.data, r.actor]),
        )
      }
      return NONE
    }
  }
  return async (rows) => {
    // A named statement is parsed and planned once per pooled connection.
    const result =
      rows.length === 1
        ? await client.query({ name: 'doc_log_append_one', text: ONE_ROW, values: [rows[0]!.boardId, asBuffer(rows[0]!.data), rows[0]!.actor] })
        : await client.query({
            name: 'doc_log_append_rows',
            text: ROWS_AS_ARRAYS,
            values: [rows.map((r) => r.boardId), rows.map((r) => asBuffer(r.data)), rows.map((r) => r.actor)],
          })
    if (result.rowCount === rows.length) return NONE
    // Some board is gone: its rows were skipped, the others stored. A board
    // deleted since is gone either way (its rows went with it).
    const ids = [...new Set(rows.map((r) => r.boardId))]
    const found = await client.query<{ id: string }>('SELECT id FROM boards WHERE id = ANY($1::text[])', [ids])
    const alive = new Set(found.rows.map((r) => r.id))
    return new Set(ids.filter((id) => !alive.has(id)))
  }
}
