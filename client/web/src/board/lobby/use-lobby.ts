// The lobby as hosts see it: who waits to be let in (GET lobby, on open and
// after every reconnect), kept by `lobby:knock` (a new knock comes first)
// and `lobby:answered` (another host, or we, let them in or not).
import { useEffect, useState } from 'react'
import type { LobbyGuest } from '../../../../../shared/session.js'
import type { ApiClient, BoardEvents } from '../../../../sdk/index.js'

export interface Lobby {
  waiting: LobbyGuest[]
  /** Knocks to show as cards: the latest knock of each, until answered or dismissed. */
  knocks: LobbyGuest[]
  dismiss(guestId: string): void
  answer(guestId: string, admit: boolean): Promise<void>
}

export function useLobby(api: ApiClient, boardId: string, events: BoardEvents | null, enabled: boolean): Lobby {
  const [waiting, setWaiting] = useState<LobbyGuest[]>([])
  // Knocks already seen as cards, by guest and time: a new knock shows again.
  const [dismissed, setDismissed] = useState<Set<string>>(new Set())

  useEffect(() => {
    if (!events || !enabled) return
    let live = true
    const load = () => void api.lobby(boardId).then((w) => live && setWaiting(w), () => {})
    load()
    events.socket.on('connect', load)
    const offKnock = events.on('lobby:knock', (p) => {
      if (p.boardId !== boardId) return
      setWaiting((w) => [p.guest, ...w.filter((g) => g.id !== p.guest.id)])
    })
    const offAnswered = events.on('lobby:answered', (p) => {
      if (p.boardId === boardId) setWaiting((w) => w.filter((g) => g.id !== p.guestId))
    })
    return () => {
      live = false
      events.socket.off('connect', load)
      offKnock()
      offAnswered()
    }
  }, [events, boardId, enabled])

  const key = (g: LobbyGuest) => `${g.id}@${g.knockedAt}`
  return {
    waiting,
    knocks: waiting.filter((g) => !dismissed.has(key(g))).slice(0, 3),
    dismiss: (guestId) => {
      const g = waiting.find((x) => x.id === guestId)
      if (g) setDismissed((d) => new Set(d).add(key(g)))
    },
    answer: async (guestId, admit) => {
      if (admit) await api.admit(boardId, guestId)
      else await api.deny(boardId, guestId)
      setWaiting((w) => w.filter((g) => g.id !== guestId))
    },
  }
}
