// The temporary-board banner: a live countdown, and the way out of deletion
// (claim it, or sign up so the work comes along).
import { useEffect, useState } from 'react'
import type { Board } from '../../../../shared/types.js'
import { formatRemaining } from '../lib/format.js'
import { navigate } from '../lib/router.js'

interface Props {
  board: Board
  guest: boolean
  canClaim: boolean
  onClaim: () => void
  claiming: boolean
  /** Saves a copy (JSON export), so the work survives even if nobody claims the board. */
  onDownload: () => void
}

export function TempBanner({ board, guest, canClaim, onClaim, claiming, onDownload }: Props) {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 15_000)
    return () => clearInterval(t)
  }, [])
  if (!board.ownerless || !board.expiresAt) return null
  const left = Date.parse(board.expiresAt) - now
  return (
    <div className={`banner ${left < 3_600_000 ? 'banner-urgent' : ''}`} role="region" aria-label="Temporary board" data-testid="temp-banner">
      <span>
        This board will be deleted in <strong data-testid="countdown">{formatRemaining(left)}</strong> unless a registered user claims it.
      </span>
      {canClaim ? (
        <button type="button" className="button button-primary" onClick={onClaim} disabled={claiming}>
          {claiming ? 'Claiming…' : 'Claim board'}
        </button>
      ) : guest ? (
        <button type="button" className="button button-primary" onClick={() => navigate(`/register?board=${encodeURIComponent(board.id)}`)}>
          Sign up so your work comes with you
        </button>
      ) : null}
      <button type="button" className="button" onClick={onDownload} data-testid="download-copy">
        Download a copy
      </button>
    </div>
  )
}
