// The vote under the header: while it runs, what it is about, "N of M votes
// left", how many ballots everyone cast (never for what), the time left, and
// "End vote" for facilitators; once it ended, the results ranked (with who
// voted for what when the vote was named), until dismissed.
import { useEffect, useState } from 'react'
import type { VoteState } from '../../../../../shared/session.js'
import { formatClock } from '../session/use-session-controls.js'
import type { Votes } from './use-votes.js'

interface Props {
  votes: Votes
  canVote: boolean
  /** Set for facilitators. */
  onEnd?: () => Promise<void>
  /** A name for an element (its text, or its kind). */
  describe: (elementId: string) => string
}

function Results({ state, describe }: { state: VoteState; describe: Props['describe'] }) {
  const results = (state.results ?? []).filter((r) => r.votes > 0)
  if (results.length === 0) return <p className="muted small">Nobody voted.</p>
  return (
    <ol className="vote-results" data-testid="vote-results">
      {results.map((r) => (
        <li key={r.elementId}>
          <span className="grow">{describe(r.elementId)}</span>
          <strong>
            {r.votes} {r.votes === 1 ? 'vote' : 'votes'}
          </strong>
          {r.voters?.length ? <span className="muted small vote-voters">{r.voters.map((v) => v.name).join(', ')}</span> : null}
        </li>
      ))}
    </ol>
  )
}

export function VoteBar({ votes, canVote, onEnd, describe }: Props) {
  const [, setTick] = useState(0)
  const [hidden, setHidden] = useState<string | null>(null)
  const [open, setOpen] = useState(true)
  const [busy, setBusy] = useState(false)
  const state = votes.state
  const vote = state?.vote ?? null
  useEffect(() => {
    if (!votes.running) return
    const t = window.setInterval(() => setTick((n) => n + 1), 1000)
    return () => clearInterval(t)
  }, [votes.running])
  useEffect(() => setOpen(true), [vote?.id, !!state?.results])
  if (!state || !vote || hidden === vote.id) return null
  const title = vote.title || 'Dot vote'

  if (votes.running) {
    return (
      <div className="banner banner-info vote-bar" role="status" data-testid="vote-bar">
        <strong>{title}</strong>
        {canVote ? (
          <span data-testid="votes-left">
            {state.remaining} of {vote.votesPerPerson} votes left
          </span>
        ) : null}
        <span className="muted">
          {vote.ballots} cast · {formatClock(Math.max(0, Date.parse(vote.endsAt) - Date.now()))} left
        </span>
        {canVote ? <span className="muted small">Tap an element, then + to vote.</span> : null}
        {onEnd ? (
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => {
              setBusy(true)
              void onEnd().finally(() => setBusy(false))
            }}
          >
            End vote
          </button>
        ) : null}
      </div>
    )
  }
  if (!state.results) return null
  return (
    <div className="banner banner-info vote-bar vote-bar-done" role="region" aria-label="Vote results" data-testid="vote-done">
      <div className="row">
        <strong className="grow">Results: {title}</strong>
        <button type="button" className="link-button small" onClick={() => setOpen(!open)}>
          {open ? 'Hide list' : 'Show list'}
        </button>
        <button type="button" className="icon-button" aria-label="Close the results" onClick={() => setHidden(vote.id)}>
          ×
        </button>
      </div>
      {open ? <Results state={state} describe={describe} /> : null}
    </div>
  )
}
