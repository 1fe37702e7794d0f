// Everything live about one board: the REST board, the Yjs connection (role,
// presence, saved state, refusals), socket.io events (claims, expiry,
// participants, comments, notifications) and the reasons a session ends.
import { useEffect, useMemo, useRef, useState } from 'react'
import type * as Y from 'yjs'
import type { Role } from '../../../../shared/capabilities.js'
import type { Notification } from '../../../../shared/events.js'
import type { LobbyStatus } from '../../../../shared/session.js'
import type { Board, Participant, Thread } from '../../../../shared/types.js'
import {
  type ApiClient,
  type BoardConnection,
  type BoardEvents,
  connectBoard,
  connectBoardEvents,
  type PresenceState,
  type SaveState,
} from '../../../sdk/index.js'
import { apiFor, ApiError, baseUrl } from '../lib/api.js'
import { roleHelp, roleLabel } from '../lib/format.js'
import { ErrorCode } from '../../../../shared/constants.js'
import { session } from '../lib/session.js'
import type { Author } from './doc-model.js'

export type Fatal =
  | { kind: 'no-session' }
  | { kind: 'forbidden'; message: string }
  | { kind: 'removed'; message: string }
  /** A host took us out of the session (4410): we may come straight back. */
  | { kind: 'kicked'; message: string }
  /** A host banned us (the join or the board said `banned`). */
  | { kind: 'banned'; message: string }
  | { kind: 'deleted'; message: string }
  | { kind: 'expired-session'; message: string }
  | { kind: 'error'; message: string }

export interface Toast {
  id: number
  text: string
  tone: 'info' | 'warn' | 'error'
}

export interface BoardSession {
  api: ApiClient
  /** The bearer token this page uses (a user's, or this browser's guest identity for the board). */
  token: string
  board: Board | null
  me: Author | null
  guest: boolean
  role: Role | null
  flags: { locked: boolean; archived: boolean }
  saveState: SaveState
  doc: Y.Doc | null
  connection: BoardConnection | null
  /** The board's socket.io events (timer, summon…), once the board is open. */
  events: BoardEvents | null
  presence: PresenceState[]
  participants: Participant[]
  threads: Thread[]
  notifications: Notification[]
  fatal: Fatal | null
  toasts: Toast[]
  toast(text: string, tone?: Toast['tone']): void
  dismiss(id: number): void
  setBoard(b: Board): void
  setThreads(update: (t: Thread[]) => Thread[]): void
  setNotifications(update: (n: Notification[]) => Notification[]): void
  refreshParticipants(): void
  /** Goes up on every restore or revert of this board (anyone's): history views reload. */
  historyTick: number
  bumpHistory(): void
  /** After being taken out of the session: connect again with the same identity. */
  rejoin(): void
  /** A guest in the board's lobby (waiting, or turned away): the board is not opened. */
  lobby: LobbyStatus | null
  /** A host let us in from the lobby: open the board. */
  admitted(): void
}

let toastSeq = 0

const guestsTurnedAway: Fatal = { kind: 'forbidden', message: 'Guests are not allowed on this board any more. Sign in with an account that has access.' }

/** The token to use for a board: the signed-in user's, or this browser's guest identity for it. */
export function tokenFor(boardId: string): { token: string; guest: boolean } | null {
  const user = session.user()
  if (user) return { token: user.token, guest: false }
  const guest = session.guest(boardId)
  return guest ? { token: guest.token, guest: true } : null
}

export function useBoardSession(boardId: string): BoardSession {
  const auth = useMemo(() => tokenFor(boardId), [boardId])
  const api = useMemo(() => apiFor(auth?.token ?? null), [auth])
  const [board, setBoard] = useState<Board | null>(null)
  const [role, setRole] = useState<Role | null>(null)
  const [me, setMe] = useState<Author | null>(null)
  const [flags, setFlags] = useState({ locked: false, archived: false })
  const [saveState, setSaveState] = useState<SaveState>('offline')
  const [doc, setDoc] = useState<Y.Doc | null>(null)
  const [presence, setPresence] = useState<PresenceState[]>([])
  const [participants, setParticipants] = useState<Participant[]>([])
  const [threads, setThreads] = useState<Thread[]>([])
  const [notifications, setNotifications] = useState<Notification[]>([])
  const [fatal, setFatal] = useState<Fatal | null>(auth ? null : { kind: 'no-session' })
  /** The events connection once its board subscription was accepted. */
  const [subscribed, setSubscribed] = useState<BoardEvents | null>(null)
  const [toasts, setToasts] = useState<Toast[]>([])
  const [historyTick, setHistoryTick] = useState(0)
  const [lobby, setLobby] = useState<LobbyStatus | null>(null)
  // Goes up on "Rejoin": the whole session (board, document, events) starts again.
  const [epoch, setEpoch] = useState(0)
  const meRef = useRef<Author | null>(null)
  meRef.current = me
  const connRef = useRef<BoardConnection | null>(null)
  const eventsRef = useRef<BoardEvents | null>(null)

  const toast = (text: string, tone: Toast['tone'] = 'info') => {
    const id = ++toastSeq
    setToasts((t) => [...t.slice(-3), { id, text, tone }])
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), tone === 'error' ? 8000 : 5000)
  }
  const dismiss = (id: number) => setToasts((t) => t.filter((x) => x.id !== id))

  // Re-reading the list is debounced and skipped once the session ended: a
  // revoked guest hears "board updated" a moment before its socket closes.
  const fatalRef = useRef(false)
  fatalRef.current = fatal !== null
  const refreshTimer = useRef(0)
  const refreshParticipants = () => {
    clearTimeout(refreshTimer.current)
    refreshTimer.current = window.setTimeout(() => {
      if (fatalRef.current) return
      api.listParticipants(boardId).then(setParticipants, () => {})
    }, 600)
  }

  useEffect(() => {
    if (!auth) return
    let cancelled = false
    let conn: BoardConnection | null = null
    let events: BoardEvents | null = null

    const fail = (err: unknown) => {
      if (cancelled) return
      if (err instanceof ApiError && (err.code === ErrorCode.waitingForHost || err.code === ErrorCode.lobbyDenied)) {
        const denied: LobbyStatus = { status: err.code === ErrorCode.lobbyDenied ? 'denied' : 'waiting', hostsOnline: 0 }
        api.lobbyStatus(boardId).then((st) => !cancelled && setLobby(st), () => !cancelled && setLobby(denied))
        return
      }
      if (err instanceof ApiError && err.status === 404) setFatal({ kind: 'deleted', message: 'This board was deleted or does not exist.' })
      else if (err instanceof ApiError && err.status === 401) setFatal({ kind: 'expired-session', message: 'Your session has expired.' })
      else if (err instanceof ApiError && err.code === ErrorCode.banned) setFatal({ kind: 'banned', message: err.message })
      else if (err instanceof ApiError && err.status === 403) setFatal({ kind: 'forbidden', message: err.message })
      else setFatal({ kind: 'error', message: err instanceof Error ? err.message : 'Could not open the board.' })
    }

    /** A guest that joined into the lobby asks its own state first: the board answers 403 until a host lets it in. */
    const open = async (): Promise<Board | null> => {
      const stored = auth.guest ? session.guest(boardId) : null
      if (stored?.guest.admission) {
        const st = await api.lobbyStatus(boardId)
        if (st.status !== 'admitted') {
          if (!cancelled) setLobby(st)
          return null
        }
        session.setGuest(boardId, { ...stored, guest: admittedGuest(stored.guest) })
      }
      return api.getBoard(boardId)
    }

    open().then((b) => {
      if (cancelled || !b) return
      setLobby(null)
      const flash = session.takeFlash()
      if (flash) toast(flash)
      setBoard(b)
      setRole(b.myRole)
      setFlags({ locked: b.locked, archived: b.archived })
      conn = connectBoard({ baseUrl, boardId, token: auth.token })
      connRef.current = conn
      setDoc(conn.doc)
      conn.on('welcome', (w) => {
        setMe({ id: w.principal.id, kind: w.principal.kind, name: w.principal.name })
        setRole(w.role as Role)
      })
      conn.on('role', (r, prev) => {
        setRole(r)
        // Becoming owner means a claim, which says so itself: one toast, not two.
        if (prev && r !== 'owner') toast(`Your role is now ${roleLabel[r]}: you ${roleHelp[r]}.`)
      })
      conn.on('board', setFlags)
      conn.on('save', setSaveState)
      conn.on('presence', setPresence)
      conn.on('refused', (r) => toast(`${r.message} The board was reloaded from the server.`, 'error'))
      conn.on('reset', (fresh) => setDoc(fresh))
      conn.on('ended', (e) => {
        if (e.reason === 'kicked') setFatal((f) => f ?? { kind: 'kicked', message: e.message })
        else if (e.reason === 'not_found') setFatal({ kind: 'deleted', message: e.message })
        // "Guests not allowed" from the event socket is more precise than the close code; keep it.
        else if (e.reason === 'forbidden') setFatal((f) => (f?.kind === 'forbidden' || f?.kind === 'banned' ? f : { kind: 'removed', message: e.message }))
        else if (e.reason === 'unauthenticated') setFatal({ kind: 'expired-session', message: e.message })
        else setFatal({ kind: 'error', message: e.message })
      })

      events = connectBoardEvents({ baseUrl, token: auth.token })
      eventsRef.current = events
      const subscribing = events
      events.subscribe(boardId).then(() => {
        // The board's events are ours: what hangs off them (timer, votes, notes) may load now.
        if (eventsRef.current === subscribing) setSubscribed(subscribing)
      }, (err: unknown) => {
        // Guests turned away before the subscription was answered: no
        // "unsubscribed" will come, so the refusal itself says why.
        if (err instanceof ApiError && err.code === ErrorCode.guestsNotAllowed) setFatal(guestsTurnedAway)
        // Otherwise live events are a bonus on top of the document; the board works without them.
      })
      const takeBoard = (nb: Board) => {
        setBoard(nb)
        // A claim or a role change reaches the REST board before the socket reconnects.
        // A seat the board's capacity made a reader stays one: the connection's welcome says what we are.
        if (nb.myRole && !conn?.capacity) setRole(nb.myRole)
      }
      events.on('board:updated', ({ board: nb }) => {
        if (nb.id !== boardId) return
        if (auth.guest && nb.accessMode === 'specific_users') {
          // The board just turned guests away; the socket close follows.
          setFatal(guestsTurnedAway)
          return
        }
        takeBoard(nb)
        // Also sent when many participants changed at once (a revoked link).
        refreshParticipants()
      })
      events.on('board:claimed', ({ board: nb }) => {
        if (nb.id !== boardId) return
        takeBoard(nb)
        if (nb.myRole !== 'owner') toast('This board was claimed and is now permanent.')
      })
      events.on('board:expiring', (p) => {
        if (p.boardId !== boardId) return
        setBoard((cur) => (cur ? { ...cur, expiresAt: p.expiresAt } : cur))
        const mins = Math.max(1, Math.round((Date.parse(p.expiresAt) - Date.now()) / 60_000))
        toast(`This temporary board will be deleted in ${mins} min unless a registered user claims it.`, 'warn')
      })
      events.on('board:deleted', (p) => {
        if (p.boardId !== boardId) return
        setFatal({ kind: 'deleted', message: p.reason === 'expired' ? 'This temporary board expired and was deleted.' : 'This board was deleted.' })
      })
      events.on('board:unsubscribed', (p) => {
        if (p.boardId !== boardId) return
        // The socket close (4403) may have come first; the reason here is more precise.
        if (p.reason === ErrorCode.guestsNotAllowed) setFatal(guestsTurnedAway)
        else if (p.reason === 'kicked') setFatal((f) => f ?? { kind: 'kicked', message: 'A host took you out of this session.' })
        else if (p.reason === ErrorCode.banned) setFatal({ kind: 'banned', message: 'A host has banned you from this board.' })
        else setFatal((f) => f ?? { kind: 'removed', message: 'Your access to this board was removed.' })
      })
      const upsertParticipant = (p: { boardId: string; participant: Participant }) => {
        if (p.boardId !== boardId) return
        const same = (x: Participant) => x.kind === p.participant.kind && x.id === p.participant.id
        setParticipants((ps) => (ps.some(same) ? ps.map((x) => (same(x) ? p.participant : x)) : [...ps, p.participant]))
      }
      events.on('participant:joined', upsertParticipant)
      events.on('participant:updated', upsertParticipant)
      events.on('participant:left', (p) => {
        if (p.boardId !== boardId) return
        setParticipants((ps) => ps.filter((x) => !(x.kind === p.participant.kind && x.id === p.participant.id)))
      })
      const upsert = (p: { boardId: string; thread: Thread }) => {
        if (p.boardId !== boardId) return
        setThreads((ts) => (ts.some((t) => t.id === p.thread.id) ? ts.map((t) => (t.id === p.thread.id ? p.thread : t)) : [...ts, p.thread]))
      }
      events.on('comment:created', upsert)
      events.on('comment:updated', upsert)
      events.on('comment:deleted', (p) => p.boardId === boardId && setThreads((ts) => ts.filter((t) => t.id !== p.threadId)))
      events.on('board:restored', (p) => {
        if (p.boardId !== boardId) return
        setHistoryTick((t) => t + 1)
        // Whoever did it has been told already, by the dialog they used.
        const mine = meRef.current && p.by.id === meRef.current.id && p.by.kind === meRef.current.kind
        if (mine) return
        const who = `${p.by.name}${p.by.guest ? ' (guest)' : ''}`
        const reverted = p.kind === 'revert' ? p.version.reverted?.person : undefined
        const whose = reverted && meRef.current && reverted.id === meRef.current.id && reverted.kind === meRef.current.kind ? 'your' : `${reverted?.name}’s`
        toast(reverted ? `${who} undid ${whose} changes` : `${who} restored an earlier version`)
      })
      events.on('notification', (n) => setNotifications((ns) => [n, ...ns.filter((x) => x.id !== n.id)]))

      refreshParticipants()
      api.listComments(boardId).then((t) => !cancelled && setThreads(t), () => {})
      if (!auth.guest) api.listNotifications({ limit: 30 }).then((p) => !cancelled && setNotifications(p.notifications), () => {})
    }, fail)

    return () => {
      cancelled = true
      clearTimeout(refreshTimer.current)
      conn?.destroy()
      events?.close()
      connRef.current = null
      eventsRef.current = null
      setSubscribed(null)
    }
  }, [boardId, auth, epoch])

  // Presence changes when people come and go: keep "online" in the panel honest.
  const onlineKey = presence.map((p) => p.user.id).sort().join(',')
  useEffect(() => {
    if (board) refreshParticipants()
  }, [onlineKey])

  return {
    api,
    token: auth?.token ?? '',
    board,
    me,
    guest: auth?.guest ?? false,
    role,
    flags,
    saveState,
    doc,
    connection: connRef.current,
    // Only once subscribed, and not once access is gone: nothing may ask the board for more then (each would be refused).
    events: fatal ? null : subscribed,
    presence,
    participants,
    threads,
    notifications,
    fatal,
    toasts,
    toast,
    dismiss,
    setBoard,
    setThreads,
    setNotifications,
    refreshParticipants,
    historyTick,
    bumpHistory: () => setHistoryTick((t) => t + 1),
    lobby,
    admitted: () => {
      const stored = session.guest(boardId)
      if (stored) session.setGuest(boardId, { ...stored, guest: admittedGuest(stored.guest) })
      setLobby(null)
      setEpoch((e) => e + 1)
    },
    rejoin: () => {
      setDoc(null)
      setBoard(null)
      setPresence([])
      setSaveState('offline')
      setFatal(null)
      setEpoch((e) => e + 1)
    },
  }
}

/** The stored guest once let in: no lobby state left on it. */
function admittedGuest<G extends { admission?: unknown }>(guest: G): Omit<G, 'admission'> {
  const { admission: _admission, ...rest } = guest
  return rest
}
