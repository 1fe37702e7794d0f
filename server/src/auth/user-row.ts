import { getTableColumns, type Table } from 'drizzle-orm'
import type { users } from '../store/schema.js'

/**
 * An account as the server passes it around and keeps it (a connection's
 * principal lives as long as the connection): every column but the password
 * hash, which only a sign-in and a password change read, themselves
 * (loadLogin). `never` makes the compiler refuse a whole row read with it.
 */
export type UserRow = Omit<typeof users.$inferSelect, 'passwordHash'> & { passwordHash?: never }

/** The columns of a UserRow, for a select or a `returning` on `users` or an alias of it. */
export function accountColumns<T extends Table & { passwordHash: unknown }>(table: T): Omit<T['_']['columns'], 'passwordHash'> {
  const { passwordHash: _secret, ...columns } = getTableColumns(table)
  return columns
}
