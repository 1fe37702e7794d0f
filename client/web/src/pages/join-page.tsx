// /join/:token — from an invite link to the board in a few seconds: see the
// board's name and the role you will get, type a name, press Enter.
import { useEffect, useState } from 'react'
import type { InviteInfo } from '../../../../shared/types.js'
import { normalizeDisplayName } from '../../../../shared/names.js'
import { ErrorCode } from '../../../../shared/constants.js'
import { apiFor, ApiError, errorText } from '../lib/api.js'
import { roleHelp, roleLabel } from '../lib/format.js'
import { prefetchBoard } from '../lib/board-chunk.js'
import { linkHandler, navigate } from '../lib/router.js'
import { session } from '../lib/session.js'
import { useAction } from '../lib/use-action.js'
import { CenterCard, HomeLink, Loading } from '../ui/screens.js'

const GONE: Record<string, [string, string]> = {
  invite_revoked: ['This invite link was revoked', 'The person who shared it turned it off. Ask them for a new link.'],
  invite_expired: ['This invite link has expired', 'Ask the person who shared it for a new link.'],
  invite_exhausted: ['This invite link has been used up', 'It was limited to a number of people. Ask for a new link.'],
}

export function JoinPage({ token }: { token: string }) {
  const [info, setInfo] = useState<InviteInfo | null>(null)
  const [failure, setFailure] = useState<ApiError | Error | null>(null)
  const [name, setName] = useState('')
  const [banned, setBanned] = useState(false)
  const { busy, error, setError, run } = useAction()
  const user = session.user()

  useEffect(() => {
    apiFor(null).inviteInfo(token).then(setInfo, setFailure)
  }, [token])

  if (failure) {
    const code = failure instanceof ApiError ? failure.code : ''
    const [title, text] = GONE[code] ?? (failure instanceof ApiError && failure.status === 404 ? ['This invite link does not exist', 'Check that you copied the whole link.'] : ['Could not open the invite', errorText(failure)])
    return (
      <CenterCard title={title} testId="join-gone">
        <p>{text}</p>
        <HomeLink />
      </CenterCard>
    )
  }
  if (!info) return <Loading what="Opening the invite…" />
  if (banned) {
    return (
      <CenterCard title="You cannot join this board" testId="join-banned">
        <p>A host has banned you from “{info.board.title}”, so this link does not let you in any more.</p>
        <HomeLink />
      </CenterCard>
    )
  }
  const existing = session.guest(info.board.id)

  /** A ban is not a form error: the page says so plainly instead. */
  const unlessBanned = async (join: () => Promise<void>) => {
    try {
      await join()
    } catch (err) {
      if (err instanceof ApiError && err.code === ErrorCode.banned) return setBanned(true)
      throw err
    }
  }

  const joinAsUser = () =>
    run(() =>
      unlessBanned(async () => {
        const board = await apiFor(user!.token).joinAsUser(token)
        navigate(`/b/${board.id}`, true)
      }),
    )

  const joinAsGuest = (e: { preventDefault(): void }) => {
    e.preventDefault()
    const check = normalizeDisplayName(name)
    if (!check.ok) return setError(`Your name ${check.reason}.`)
    void run(() =>
      unlessBanned(async () => {
        const joined = await apiFor(null).joinAsGuest(token, check.name, { browserId: session.browserId() })
        session.setGuest(info.board.id, joined)
        navigate(`/b/${info.board.id}`, true)
      }),
    )
  }

  const next = encodeURIComponent(`/join/${token}`)
  return (
    <CenterCard title={info.board.title} testId="join-page">
      {user ? (
        <>
          <p>
            You are invited as <strong>{roleLabel[info.role]}</strong>: you {roleHelp[info.role]}.
          </p>
          <p className="muted">Signed in as {user.user.name}.</p>
          {error ? <p className="error" role="alert">{error}</p> : null}
          <button type="button" className="button button-primary button-block" onClick={() => void joinAsUser()} disabled={busy} autoFocus>
            {busy ? 'Joining…' : 'Join board'}
          </button>
        </>
      ) : !info.guestsAllowed ? (
        <>
          <p className="notice" data-testid="guests-not-allowed">
            Guests are not allowed on this board. Sign in or create an account to join as a member.
          </p>
          <p className="row">
            <a className="button button-primary" href={`/signin?next=${next}`} onClick={linkHandler(`/signin?next=${next}`)}>
              Sign in
            </a>
            <a className="button" href={`/register?next=${next}`} onClick={linkHandler(`/register?next=${next}`)}>
              Create account
            </a>
          </p>
        </>
      ) : (
        <>
          <p>
            You are invited as <strong data-testid="join-role">{roleLabel[info.guestRole]}</strong>: you {roleHelp[info.guestRole]}.
          </p>
          {existing ? (
            <p>
              <button type="button" className="button button-block" onClick={() => navigate(`/b/${info.board.id}`, true)}>
                Continue as {existing.guest.name}
              </button>
            </p>
          ) : null}
          <form onSubmit={joinAsGuest} className="stack">
            <label htmlFor="guest-name">Your name</label>
            <input id="guest-name" name="name" autoFocus={!existing} autoComplete="nickname" maxLength={64} value={name} onChange={(e) => {
              setName((e.target as HTMLInputElement).value)
              prefetchBoard()
            }} placeholder="How others will see you" required />
            {error ? <p className="error" role="alert">{error}</p> : null}
            <button type="submit" className="button button-primary button-block" disabled={busy}>
              {busy ? 'Entering…' : 'Enter as guest'}
            </button>
          </form>
          <p className="muted small">
            No account needed. Have one?{' '}
            <a href={`/signin?next=${next}`} onClick={linkHandler(`/signin?next=${next}`)}>
              Sign in
            </a>{' '}
            to join as a member{info.role !== info.guestRole ? ` (${roleLabel[info.role]})` : ''}.
          </p>
        </>
      )}
    </CenterCard>
  )
}
