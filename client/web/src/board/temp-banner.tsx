// The temporary-board banner: a live countdown, and the way out of deletion
// (claim it, or sign up so the work comes along).
import { useEffect, useState } from 'react'
import type { Board } from '../../../../shared/types.js'
import { formatRemaining } from '../lib/format.js'
import { navigate } from '../lib/router.js'
import { Icon } from '../ui/icon.js'
import { ClaimReminder } from './claim-reminder.js'

interface Props {
  board: Board
  guest: boolean
  canClaim: boolean
  onClaim: () => void
  claiming: boolean
  /** Saves a copy (JSON export), so the work survives even if nobody claims the board. */
  onDownload: () => void
  /** A guest's token: it may leave an address to be reminded before deletion. */
  guestToken?: string | null
}

export function TempBanner({ board, guest, canClaim, onClaim, claiming, onDownload, guestToken }: Props) {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 15_000)
    return () => clearInterval(t)
  }, [])
  if (!board.ownerless || !board.expiresAt) return null
  const left = Date.parse(board.expiresAt) - now
  return (
    <div className={`banner ${left < 3_600_000 ? 'banner-urgent' : ''}`} role="region" aria-label="Temporary board" data-testid="temp-banner">
      {/* On a phone the same facts in one row: the canvas needs the height. */}
      <span className="banner-text">
        <span className="wide-only">This board will be deleted in </span>
        <span className="narrow-only">Temporary: deleted in </span>
        <strong data-testid="countdown">{formatRemaining(left)}</strong>
        <span className="wide-only"> unless a registered user claims it</span>.
      </span>
      {canClaim ? (
        <button type="button" className="button button-primary banner-button" onClick={onClaim} disabled={claiming}>
          {claiming ? 'Claiming…' : 'Claim board'}
        </button>
      ) : guest ? (
        <button
          type="button"
          className="button button-primary banner-button"
          aria-label="Sign up so your work comes with you"
          onClick={() => navigate(`/register?board=${encodeURIComponent(board.id)}`)}
        >
          <span className="wide-only">Sign up so your work comes with you</span>
          <span className="narrow-only">Sign up to keep it</span>
        </button>
      ) : null}
      {/* Not on a phone: the banner there is one compact row. */}
      {guest && guestToken ? (
        <span className="wide-only">
          <ClaimReminder boardId={board.id} token={guestToken} />
        </span>
      ) : null}
      <button type="button" className="button banner-button" onClick={onDownload} data-testid="download-copy" aria-label="Download a copy" title="Download a copy">
        <span className="wide-only">Download a copy</span>
        <span className="narrow-only" aria-hidden="true">
          <Icon d="M12 4v11M7 10l5 5 5-5M5 20h14" />
        </span>
      </button>
    </div>
  )
}
