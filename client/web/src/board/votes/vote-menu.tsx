// The session menu's dot vote (facilitators): title, votes per person, how
// long, anonymous or named; "Start vote"; while one runs, "End vote".
import { useState } from 'react'
import { MAX_VOTES_PER_PERSON } from '../../../../../shared/session.js'
import type { VoteOptions } from '../../../../sdk/index.js'
import type { Votes } from './use-votes.js'

const MINUTES = [1, 2, 3, 5, 10]

interface Props {
  votes: Votes
  onStart: (options: VoteOptions) => Promise<void>
  onEnd: () => Promise<void>
}

export function VoteMenu({ votes, onStart, onEnd }: Props) {
  const [title, setTitle] = useState('')
  const [each, setEach] = useState('3')
  const [minutes, setMinutes] = useState(3)
  const [anonymous, setAnonymous] = useState(true)
  const [busy, setBusy] = useState(false)
  const n = Number(each)
  const valid = Number.isInteger(n) && n >= 1 && n <= MAX_VOTES_PER_PERSON
  const act = (f: () => Promise<void>) => () => {
    setBusy(true)
    void f()
      .catch(() => {})
      .finally(() => setBusy(false))
  }
  const vote = votes.state?.vote
  if (votes.running && vote) {
    return (
      <section className="stack" data-testid="vote-menu">
        <strong>Dot vote: {vote.title || 'running'}</strong>
        <span className="muted small">
          {vote.ballots} {vote.ballots === 1 ? 'vote' : 'votes'} cast so far; nobody sees where until it ends.
        </span>
        <button type="button" className="button" disabled={busy} onClick={act(onEnd)}>
          End vote
        </button>
      </section>
    )
  }
  return (
    <section className="stack" data-testid="vote-menu">
      <strong>Dot vote</strong>
      <label>
        Question (optional)
        <input value={title} maxLength={120} placeholder="Which ideas first?" onChange={(e) => setTitle((e.target as HTMLInputElement).value)} />
      </label>
      <div className="row wrap">
        <label>
          Votes each
          <input type="number" min={1} max={MAX_VOTES_PER_PERSON} inputMode="numeric" value={each} onChange={(e) => setEach((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          For
          <select value={minutes} onChange={(e) => setMinutes(Number((e.target as HTMLSelectElement).value))}>
            {MINUTES.map((m) => (
              <option key={m} value={m}>
                {m} min
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={anonymous} onChange={(e) => setAnonymous((e.target as HTMLInputElement).checked)} />
        Anonymous: show only the counts at the end
      </label>
      <button
        type="button"
        className="button button-primary"
        disabled={busy || !valid}
        onClick={act(() => onStart({ ...(title.trim() ? { title: title.trim() } : {}), votesPerPerson: n, anonymous, durationMs: minutes * 60_000 }))}
      >
        Start vote
      </button>
    </section>
  )
}
