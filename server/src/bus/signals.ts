// Board-level signals that must reach every part of every instance that has
// the board open: the collaboration hub re-checks its sockets, socket.io
// re-checks its subscriptions and emits events.
import type { PrincipalKind } from '../../../shared/types.js'

export type BoardSignal =
  /** Settings changed (title, lock, archive, access mode, claim, tier): re-check every connection. */
  | { type: 'board.changed'; boardId: string }
  /** Roles, removals or revocations changed: re-check the named principal, or everyone. */
  | { type: 'access.changed'; boardId: string; target?: { kind: PrincipalKind; id: string } }
  | { type: 'board.deleted'; boardId: string; reason: 'deleted' | 'expired' }
  /** A host took someone out of the session: their connections close (they may come back). */
  | { type: 'principal.kicked'; boardId: string; target: { kind: PrincipalKind; id: string } }
  /** A guest's work became a user's: its Yjs client ids now belong to the user. */
  | { type: 'guest.linked'; boardId: string; guestId: string; userId: string }
  /** The global guest switch was turned off: every guest everywhere goes. */
  | { type: 'guests.disabled' }
  | { type: 'guests.enabled' }
  /** The user signed out everywhere or changed the password: tokens older than `tokenVersion` are void, their connections close. */
  /** With `apiKeyId`: only that API key was revoked; what it opened closes. */
  | { type: 'user.signed_out'; userId: string; tokenVersion: number; apiKeyId?: string }

export type SignalHandler = (signal: BoardSignal) => void

export interface SignalTransport {
  /** Deliver to every instance, this one included. */
  publish(signal: BoardSignal): void
  subscribe(handler: SignalHandler): () => void
}

