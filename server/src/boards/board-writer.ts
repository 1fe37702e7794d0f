import type * as Y from 'yjs'
import type { Role } from '../../../shared/capabilities.js'
import type { ResolvedPrincipal } from '../auth/principals.js'

/**
 * Writes into a board's live document as a principal would from a client
 * (CollabHub.writeAs): `build` gets the current document and answers the
 * update to write, which then takes the live path (guard, limits, log,
 * broadcast). History's restores and reverts and the reveal of private
 * notes use it.
 */
export interface BoardWriter {
  writeAs(
    boardId: string,
    principal: ResolvedPrincipal,
    role: Role,
    build: (doc: Y.Doc) => Uint8Array | null,
  ): Promise<{ ok: true; written: boolean } | { ok: false; code: number; reason: string; written: boolean }>
  /**
   * Runs `use` on the board's live document (loaded if no one has it open),
   * synchronously: it must not keep the document or change it.
   */
  readLive<T>(boardId: string, use: (doc: Y.Doc) => T): Promise<{ ok: true; value: T } | { ok: false; code: number; reason: string }>
}
