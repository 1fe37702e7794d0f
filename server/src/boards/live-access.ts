// Whether a live connection (a /collab socket, a socket.io board
// subscription) may stay, asked again of the database after an access
// change. The collaboration hub and socket.io both use this one helper, and
// its count of access signals, so they cannot drift apart.
//
// A kick leaves nothing in the database (the person may come back), so the
// re-check cannot see one that landed while a join was being checked; the
// kicks heard lately are kept here, numbered with the signals, for that.
import type { Role } from '../../../shared/capabilities.js'
import { ErrorCode } from '../../../shared/constants.js'
import { type PrincipalResolver, principalKey, type ResolvedPrincipal } from '../auth/principals.js'
import type { BoardSignal, SignalTransport } from '../bus/signals.js'
import { AppError, forbidden, notFound, unauthenticated } from '../errors.js'
import type { DbOrTx } from '../store/db.js'
import { type BoardAccess, type BoardWithTier, loadBoard, type Policy } from './policy.js'

export type Standing =
  | { ok: true; principal: ResolvedPrincipal; role: Role; access: BoardAccess }
  /**
   * `signed_out`: the token was signed out (4401); `removed`: the principal
   * may no longer act at all; `refused`: it may not be on this board;
   * `board_gone`: the board no longer exists.
   */
  | { ok: false; why: 'signed_out' | 'removed' | 'refused' | 'board_gone'; error: AppError }

/** Signals after which live access must be checked again. */
export function isAccessSignal(signal: BoardSignal): signal is Exclude<BoardSignal, { type: 'guests.enabled' }> {
  return signal.type !== 'guests.enabled'
}

/** How long a kick is remembered for joins that were being checked when it came. */
const KICKS_KEPT_MS = 60_000

export class LiveAccess {
  private signals = 0
  /** Board and principal key → the signal count the kick was heard at. */
  private readonly kicks = new Map<string, number>()
  private readonly unsubscribe: () => void

  constructor(
    private readonly db: DbOrTx,
    private readonly policy: Policy,
    private readonly resolver: PrincipalResolver,
    transport: SignalTransport,
  ) {
    this.unsubscribe = transport.subscribe((signal) => {
      if (!isAccessSignal(signal)) return
      this.signals++
      if (signal.type === 'principal.kicked') this.rememberKick(`${signal.boardId}\n${principalKey(signal.target)}`, this.signals)
    })
  }

  /**
   * A mark of the access signals seen so far. A join checked before a signal
   * arrived is not yet where that signal's re-check looks: the caller checks
   * again once it has joined if `changedSince(mark)`.
   */
  mark(): number {
    return this.signals
  }

  changedSince(mark: number): boolean {
    return this.signals !== mark
  }

  /** Whether the person was kicked from the board after `mark` (a join that began before the kick and joined after it). */
  kickedSince(mark: number, boardId: string, key: string): boolean {
    return (this.kicks.get(`${boardId}\n${key}`) ?? 0) > mark
  }

  private rememberKick(key: string, at: number): void {
    this.kicks.set(key, at)
    setTimeout(() => {
      if (this.kicks.get(key) === at) this.kicks.delete(key)
    }, KICKS_KEPT_MS).unref()
  }

  /** Counts a change seen another way (the bus coming back after an outage). */
  bump(): void {
    this.signals++
  }

  /** The principal's standing on the board now; `board` may be loaded already. */
  async standing(principal: ResolvedPrincipal, board: string | BoardWithTier): Promise<Standing> {
    const fresh = await this.resolver.refresh(principal)
    if (!fresh.ok) {
      return fresh.why === 'signed_out'
        ? { ok: false, why: 'signed_out', error: unauthenticated('You were signed out') }
        : { ok: false, why: 'removed', error: forbidden('Your access was removed') }
    }
    const loaded = typeof board === 'string' ? await loadBoard(this.db, board) : board
    if (!loaded) return { ok: false, why: 'board_gone', error: notFound('Board') }
    const access = await this.policy.accessTo(this.db, fresh.principal, loaded)
    const refusal = this.policy.refusal(access, 'board.view')
    if (refusal || !access.role) return { ok: false, why: 'refused', error: refusal ?? new AppError(403, ErrorCode.forbidden, 'Your access was removed') }
    return { ok: true, principal: fresh.principal, role: access.role, access }
  }

  close(): void {
    this.unsubscribe()
  }
}
