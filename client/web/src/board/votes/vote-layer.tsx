// Dot votes on the canvas, in scene coordinates (like comment pins): while a
// vote runs, tapping an element shows "−" / "+" beside it and our own dots
// on each element we voted for (never anyone else's); once it ended, every
// element's count as a badge. A running vote puts voters on the selection
// tool, so a tap picks an element instead of drawing.
import { getCommonBounds } from '@excalidraw/excalidraw'
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'
import { useEffect, useState } from 'react'
import { elementAt } from '../canvas/hit-test.js'
import { useSceneRedraw } from '../canvas/use-scene-redraw.js'
import type { Votes } from './use-votes.js'

interface Props {
  api: ExcalidrawImperativeAPI
  votes: Votes
  canVote: boolean
  /** Adds (true) or takes back (false) one of our ballots on an element. */
  onBallot: (elementId: string, add: boolean) => Promise<void>
}

/** A label's container is what people vote for. */
function votable(api: ExcalidrawImperativeAPI, id: string | null): string | null {
  if (!id) return null
  const el = api.getSceneElements().find((e) => e.id === id)
  if (!el) return null
  return el.type === 'text' && el.containerId ? el.containerId : el.id
}

export function VoteLayer({ api, votes, canVote, onBallot }: Props) {
  useSceneRedraw(api)
  const [target, setTarget] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const state = votes.state
  const vote = state?.vote ?? null
  const running = votes.running && canVote

  useEffect(() => {
    if (!running) return setTarget(null)
    if (api.getAppState().activeTool.type !== 'selection') api.setActiveTool({ type: 'selection' })
    return api.onPointerDown((_tool, s) => setTarget(votable(api, elementAt(api, s.origin.x, s.origin.y)?.id ?? null)))
  }, [running, vote?.id])

  if (!vote || !state) return null
  const { scrollX, scrollY, zoom } = api.getAppState()
  const z = zoom.value
  const boxOf = (id: string) => {
    const el = api.getSceneElements().find((e) => e.id === id)
    if (!el) return null
    const [x1, y1, x2] = getCommonBounds([el])
    return { left: (x1 + scrollX) * z, right: (x2 + scrollX) * z, top: (y1 + scrollY) * z }
  }
  const selected = Object.keys(api.getAppState().selectedElementIds)
  const picked = target ?? (selected.length === 1 ? votable(api, selected[0]!) : null)
  const ballot = (add: boolean) => async () => {
    if (!picked) return
    setBusy(true)
    try {
      await onBallot(picked, add)
    } finally {
      setBusy(false)
    }
  }

  if (state.results && !votes.running) {
    return (
      <div className="comment-layer">
        {state.results.map((r) => {
          const at = boxOf(r.elementId)
          if (!at || r.votes === 0) return null
          return (
            <span key={r.elementId} className="vote-badge" data-testid="vote-badge" style={{ transform: `translate(${at.right - 12}px, ${at.top - 12}px)` }} aria-label={`${r.votes} ${r.votes === 1 ? 'vote' : 'votes'}`}>
              {r.votes}
            </span>
          )
        })}
      </div>
    )
  }
  if (!running) return null
  const pickedAt = picked ? boxOf(picked) : null
  const mineOnPicked = picked ? (state.mine[picked] ?? 0) : 0
  return (
    <div className="comment-layer">
      {Object.entries(state.mine).map(([id, n]) => {
        const at = boxOf(id)
        if (!at || n <= 0) return null
        return (
          <span key={id} className="vote-dots" data-testid="my-vote-dots" style={{ transform: `translate(${at.left}px, ${at.top - 14}px)` }} aria-label={`You gave this ${n} ${n === 1 ? 'vote' : 'votes'}`}>
            {Array.from({ length: Math.min(n, 20) }, (_, i) => (
              <span key={i} className="vote-dot" />
            ))}
          </span>
        )
      })}
      {picked && pickedAt ? (
        <span className="vote-control" data-testid="vote-control" style={{ transform: `translate(${pickedAt.right + 6}px, ${pickedAt.top}px)` }}>
          <button type="button" className="tool" aria-label="Unvote" title="Take one of your votes back" disabled={busy || mineOnPicked === 0} onClick={() => void ballot(false)()}>
            −
          </button>
          <span className="vote-count" aria-label={`${mineOnPicked} of your votes here`}>
            {mineOnPicked}
          </span>
          <button type="button" className="tool" aria-label="Vote" title="Give this one of your votes" disabled={busy || state.remaining === 0} onClick={() => void ballot(true)()}>
            +
          </button>
        </span>
      ) : null}
    </div>
  )
}
