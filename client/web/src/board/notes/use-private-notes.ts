// Private notes as this person sees them: our own unrevealed notes and how
// many others wrote (GET private-notes), read when the board opens, when
// private mode changes, after a reveal (`private-notes:revealed`) and after
// a socket reconnect; while private mode is on, every 10 s too (nothing
// tells us when others write).
import { useEffect, useRef, useState } from 'react'
import type { PrivateNote } from '../../../../../shared/session.js'
import type { ApiClient, BoardEvents } from '../../../../sdk/index.js'

export interface PrivateNotes {
  /** Our own notes as the server keeps them (null until loaded). */
  notes: PrivateNote[] | null
  /** How many notes others wrote, hidden until a reveal. */
  others: number
  refresh(): void
}

export function usePrivateNotes(api: ApiClient, boardId: string, events: BoardEvents | null, on: boolean, enabled: boolean, onRevealed: (notes: number, by: string) => void): PrivateNotes {
  const [notes, setNotes] = useState<PrivateNote[] | null>(null)
  const [others, setOthers] = useState(0)
  const timer = useRef(0)
  const revealed = useRef(onRevealed)
  revealed.current = onRevealed

  const load = () => {
    if (!enabled) return
    api.privateNotes(boardId).then(
      (r) => {
        setNotes(r.notes)
        setOthers(r.others)
      },
      () => {},
    )
  }
  /** Several saves in a row are one read. */
  const refresh = () => {
    clearTimeout(timer.current)
    timer.current = window.setTimeout(load, 500)
  }

  useEffect(() => {
    if (!events || !enabled) return
    load()
    events.socket.on('connect', load)
    const off = events.on('private-notes:revealed', (p) => {
      if (p.boardId !== boardId) return
      load()
      revealed.current(p.notes, p.by.name)
    })
    return () => {
      events.socket.off('connect', load)
      off()
      clearTimeout(timer.current)
    }
  }, [events, boardId, enabled])

  useEffect(() => {
    if (!events || !enabled) return
    load()
    if (!on) return
    const poll = window.setInterval(load, 10_000)
    return () => clearInterval(poll)
  }, [on])

  return { notes, others, refresh }
}
