// The board's dot vote as this person sees it: loaded when the board opens
// and after every socket reconnect (GET votes/current), then kept by
// `vote:updated` (counts only while it runs, results once it ended). Our own
// ballots and what we have left come from our own answers; a new vote starts
// us with a full hand.
import { useEffect, useRef, useState } from 'react'
import type { VoteState } from '../../../../../shared/session.js'
import type { ApiClient, BoardEvents } from '../../../../sdk/index.js'

export interface Votes {
  state: VoteState | null
  /** Whether the vote is still open (not closed, and its time not up by our clock). */
  running: boolean
  /** Takes the answer of our own request (cast, retract, start, end). */
  take(state: VoteState): void
}

export function useVotes(api: ApiClient, boardId: string, events: BoardEvents | null): Votes {
  const [state, setState] = useState<VoteState | null>(null)
  const [, setTick] = useState(0)
  const current = useRef<VoteState | null>(null)
  current.current = state

  useEffect(() => {
    if (!events) return
    let live = true
    const load = () => void api.currentVote(boardId).then((v) => live && setState(v), () => {})
    load()
    events.socket.on('connect', load)
    const off = events.on('vote:updated', (p) => {
      if (p.boardId !== boardId) return
      setState((cur) => {
        if (cur?.vote?.id === p.vote.id) return { ...cur, vote: p.vote, results: p.results }
        // A vote we did not know yet: nothing of ours in it.
        return { vote: p.vote, mine: {}, remaining: p.vote.votesPerPerson, results: p.results }
      })
    })
    return () => {
      live = false
      events.socket.off('connect', load)
      off()
    }
  }, [events, boardId])

  // At its end the server sends the results; ask as well, in case the event is missed.
  const endsAt = state?.vote && !state.vote.closed ? Date.parse(state.vote.endsAt) : null
  useEffect(() => {
    if (endsAt === null) return
    const wait = Math.max(0, endsAt - Date.now())
    const t1 = window.setTimeout(() => setTick((t) => t + 1), wait)
    const t2 = window.setTimeout(() => {
      if (current.current?.vote && !current.current.vote.closed) void api.currentVote(boardId).then(setState, () => {})
    }, wait + 1500)
    return () => {
      clearTimeout(t1)
      clearTimeout(t2)
    }
  }, [endsAt])

  const vote = state?.vote
  const running = !!vote && !vote.closed && Date.parse(vote.endsAt) > Date.now()
  return { state, running, take: setState }
}
