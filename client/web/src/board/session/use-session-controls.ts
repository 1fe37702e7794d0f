// The live side of running a session: the shared timer (loaded when the
// board opens and after every reconnect, then kept by `timer:updated`, with
// the offset between the server's clock and ours), the last "bring everyone
// to me" (`board:summoned`; the one in force is asked for at the same
// times), and the capacity notice of our connection.
import { useEffect, useState } from 'react'
import type { BoardTimer, CapacityNotice, Summon } from '../../../../../shared/session.js'
import type { ApiClient, BoardConnection, BoardEvents } from '../../../../sdk/index.js'

export interface TimerView {
  timer: BoardTimer
  /** The server's clock minus ours when this timer arrived: our `Date.now() + offset` is the server's now. */
  offset: number
}

export interface SessionControls {
  timer: TimerView | null
  /** The summon in force (anyone's, ours too); null when there is none or it was released. */
  summon: Summon | null
  /** Set when the board was full as we joined: we are a reader until we rejoin. */
  capacity: CapacityNotice | null
  /** Takes the answer of our own timer request at once (the event follows). */
  takeTimer(timer: BoardTimer): void
  takeSummon(summon: Summon | null): void
}

export function useSessionControls(api: ApiClient, boardId: string, events: BoardEvents | null, connection: BoardConnection | null): SessionControls {
  const [timer, setTimer] = useState<TimerView | null>(null)
  const [summon, setSummon] = useState<Summon | null>(null)
  const [capacity, setCapacity] = useState<CapacityNotice | null>(null)

  const takeTimer = (next: BoardTimer) => {
    const view = { timer: next, offset: Date.parse(next.serverTime) - Date.now() }
    // A slow answer to an earlier request must not undo a newer event: the later server time wins.
    setTimer((cur) => (cur && Date.parse(cur.timer.serverTime) > Date.parse(next.serverTime) ? cur : view))
  }

  useEffect(() => {
    if (!events) return
    let live = true
    // A new events connection (the board opened again, a rejoin): no summon is known to be in force.
    setSummon(null)
    const load = () => {
      api.timer(boardId).then((t) => live && takeTimer(t), () => {})
      // Whoever joins or reconnects during a summon (presenter mode) follows it too.
      api.currentSummon(boardId).then((sm) => live && setSummon(sm), () => {})
    }
    load()
    // After a reconnect, events sent meanwhile are lost: ask again.
    const onConnect = () => load()
    events.socket.on('connect', onConnect)
    const offTimer = events.on('timer:updated', (p) => p.boardId === boardId && takeTimer(p.timer))
    const offSummon = events.on('board:summoned', (p) => p.boardId === boardId && setSummon(p.summon))
    return () => {
      live = false
      events.socket.off('connect', onConnect)
      offTimer()
      offSummon()
    }
  }, [events, boardId])

  useEffect(() => {
    if (!connection) return
    setCapacity(connection.capacity)
    return connection.on('capacity', setCapacity)
  }, [connection])

  return { timer, summon, capacity, takeTimer, takeSummon: setSummon }
}

/** Time left on the timer now, by the server's clock; null when it is stopped. */
export function timerLeft(view: TimerView | null, now = Date.now()): number | null {
  if (!view || view.timer.state === 'stopped') return null
  const t = view.timer
  if (t.state === 'paused' || !t.endsAt) return t.remainingMs
  return Math.max(0, Date.parse(t.endsAt) - (now + view.offset))
}

/** "4:59", "1:02:03"; rounded up, so it shows 0:00 only at the very end. */
export function formatClock(ms: number): string {
  const total = Math.ceil(ms / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const ss = String(s).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}
