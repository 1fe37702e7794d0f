// The workshop tools on top of a running session, wired for the board page:
// the lobby (hosts), the dot vote and private notes, with the actions the
// menus and the canvas call (each failure said in a toast).
import type * as Y from 'yjs'
import type { VoteOptions } from '../../../../sdk/index.js'
import { errorText } from '../../lib/api.js'
import type { Abilities } from '../abilities.js'
import { type Lobby, useLobby } from '../lobby/use-lobby.js'
import { type PrivateNotes, usePrivateNotes } from '../notes/use-private-notes.js'
import type { BoardSession } from '../use-board-session.js'
import { useVotes, type Votes } from '../votes/use-votes.js'

export interface Workshop {
  lobby: Lobby
  votes: Votes
  notes: PrivateNotes
  /** Private mode keeps our new elements out of the document now. */
  privateOn: boolean
  startVote(options: VoteOptions): Promise<void>
  endVote(): Promise<void>
  ballot(elementId: string, add: boolean): Promise<void>
  setPrivateMode(on: boolean): Promise<void>
  reveal(): Promise<void>
}

export function useWorkshop(s: BoardSession, boardId: string, abilities: Abilities): Workshop {
  /** A failure is said in a toast; the promise still resolves (menus just stop being busy). */
  const run = async (action: () => Promise<void>): Promise<void> => {
    try {
      await action()
    } catch (e) {
      s.toast(errorText(e), 'error')
    }
  }
  const lobby = useLobby(s.api, boardId, s.events, abilities.manageParticipants)
  const votes = useVotes(s.api, boardId, s.events)
  const privateMode = !!s.board?.privateNotes
  const notes = usePrivateNotes(s.api, boardId, s.events, privateMode, abilities.vote, (n, by) => {
    s.toast(n === 0 ? `${by} revealed the private notes; there were none.` : `${by} revealed ${n} private ${n === 1 ? 'note' : 'notes'}.`)
  })
  const voteId = () => {
    const v = votes.state?.vote
    if (!v) throw new Error('There is no vote.')
    return v.id
  }
  return {
    lobby,
    votes,
    notes,
    privateOn: privateMode && abilities.vote,
    startVote: (options) => run(async () => votes.take(await s.api.startVote(boardId, options))),
    endVote: () => run(async () => votes.take(await s.api.endVote(boardId, voteId()))),
    ballot: (elementId, add) => run(async () => votes.take(add ? await s.api.castVote(boardId, voteId(), elementId) : await s.api.retractVote(boardId, voteId(), elementId))),
    setPrivateMode: (on) =>
      run(async () => {
        await s.api.setPrivateNotes(boardId, on)
        if (s.board) s.setBoard({ ...s.board, privateNotes: on })
      }),
    reveal: () =>
      run(async () => {
        const r = await s.api.revealPrivateNotes(boardId)
        if (s.board) s.setBoard({ ...s.board, privateNotes: false })
        s.toast(r.kept ? `${r.revealed} notes revealed; ${r.kept} could not go on the board and stay with their authors.` : `${r.revealed} private ${r.revealed === 1 ? 'note' : 'notes'} revealed.`)
        notes.refresh()
      }),
  }
}

/** A name for an element in lists: its text (a label's, for a shape), or its kind. */
export function describeElement(doc: Y.Doc | null, id: string): string {
  if (!doc) return 'An element'
  const roots = [doc.getMap<Y.Map<unknown>>('shapes'), doc.getMap<Y.Map<unknown>>('markup')]
  const get = (key: string) => roots.map((r) => r.get(key)).find((m) => m && typeof m.get === 'function')
  const el = get(id)
  if (!el) return 'A removed element'
  const own = el.get('text')
  if (typeof own === 'string' && own.trim()) return own.trim().slice(0, 60)
  for (const r of roots) {
    for (const [, m] of r) {
      if (m && typeof m.get === 'function' && m.get('containerId') === id && typeof m.get('text') === 'string' && (m.get('text') as string).trim()) return (m.get('text') as string).trim().slice(0, 60)
    }
  }
  const type = el.get('type')
  const kind = typeof type === 'string' ? type : 'element'
  return `A ${kind === 'rectangle' ? 'note' : kind}`
}

/** The board's frames by name (for locking them for guests). */
export function framesOf(doc: Y.Doc | null): { id: string; name: string }[] {
  if (!doc) return []
  const out: { id: string; name: string }[] = []
  for (const [id, m] of doc.getMap<Y.Map<unknown>>('shapes')) {
    if (!m || typeof m.get !== 'function' || m.get('type') !== 'frame') continue
    const name = m.get('name')
    out.push({ id, name: typeof name === 'string' && name.trim() ? name.trim() : `Frame ${out.length + 1}` })
  }
  return out
}
