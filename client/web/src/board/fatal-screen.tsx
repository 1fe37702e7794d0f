// Clear screens for the ways a board session ends, each with a way forward.
import { useEffect } from 'react'
import { linkHandler } from '../lib/router.js'
import { session } from '../lib/session.js'
import { CenterCard, HomeLink } from '../ui/screens.js'
import type { Fatal } from './use-board-session.js'

export function FatalScreen({ fatal, boardId, guest, onRejoin }: { fatal: Fatal; boardId: string; guest: boolean; onRejoin: () => void }) {
  // A guest identity is forgotten only once the server says it is gone (401) or
  // its board is: a guest turned away or removed may be let back in, and must
  // then come back as the same guest, so their earlier markup is still theirs.
  useEffect(() => {
    if (guest && (fatal.kind === 'expired-session' || fatal.kind === 'deleted')) session.setGuest(boardId, null)
  }, [fatal.kind])
  const signIn = (
    <p>
      <a className="button button-primary" href={`/signin?next=/b/${boardId}`} onClick={linkHandler(`/signin?next=/b/${boardId}`)}>
        Sign in
      </a>
    </p>
  )
  switch (fatal.kind) {
    case 'no-session':
      return (
        <CenterCard title="Open this board with an invite link" testId="fatal-no-session">
          <p>You need an invite link from someone on this board, or an account with access to it.</p>
          {signIn}
        </CenterCard>
      )
    case 'forbidden':
      return (
        <CenterCard title={/guest/i.test(fatal.message) ? 'Guests are not allowed on this board' : 'You do not have access to this board'} testId="fatal-forbidden">
          <p>{fatal.message}</p>
          <p>Ask the owner for an invite, or sign in with an account that has access.</p>
          {guest ? (
            <p>
              <button type="button" className="button" onClick={() => location.reload()} data-testid="try-again">
                Try again
              </button>
            </p>
          ) : null}
          {signIn}
          <HomeLink />
        </CenterCard>
      )
    case 'kicked':
      // Taken out, not turned away: the same identity may come straight back.
      return (
        <CenterCard title="You were taken out of this session" testId="fatal-kicked">
          <p>A host took you out of this session.</p>
          <p>
            <button type="button" className="button button-primary" onClick={onRejoin} data-testid="rejoin">
              Rejoin
            </button>
          </p>
          <HomeLink />
        </CenterCard>
      )
    case 'banned':
      return (
        <CenterCard title="You cannot join this board" testId="fatal-banned">
          <p>A host has banned you from this board, so you cannot come back to it.</p>
          <HomeLink />
        </CenterCard>
      )
    case 'removed':
      return (
        <CenterCard title="Your access to this board was removed" testId="fatal-removed">
          <p>The owner revoked your link or removed you from the board. Ask them for a new invite if you still need it.</p>
          <HomeLink />
        </CenterCard>
      )
    case 'deleted':
      return (
        <CenterCard title="This board is gone" testId="fatal-deleted">
          <p>{fatal.message}</p>
          <HomeLink />
        </CenterCard>
      )
    case 'expired-session':
      return (
        <CenterCard title="Your session has expired" testId="fatal-expired">
          <p>{guest ? 'Open the invite link again to come back as a guest.' : 'Sign in again to continue.'}</p>
          {guest ? <HomeLink /> : signIn}
        </CenterCard>
      )
    default:
      return (
        <CenterCard title="Something went wrong" testId="fatal-error">
          <p>{fatal.message}</p>
          <p>
            <button type="button" className="button button-primary" onClick={() => location.reload()}>
              Reload
            </button>
          </p>
        </CenterCard>
      )
  }
}
