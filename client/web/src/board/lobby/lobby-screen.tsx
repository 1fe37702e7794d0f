// A guest in the board's lobby: "Waiting for the host to let you in" (or
// that nobody who can is here), a short message and "Knock again", until a
// host answers. The answer comes on a socket.io connection made with the
// guest's own token (no board subscription: the server sends
// `lobby:answered` to the guest's own sockets); GET lobby/me every 15 s
// keeps the count of hosts right and catches an answer the socket missed.
import { useEffect, useState } from 'react'
import type { LobbyStatus } from '../../../../../shared/session.js'
import { type ApiClient, connectBoardEvents } from '../../../../sdk/index.js'
import { ApiError, baseUrl, errorText } from '../../lib/api.js'
import { CenterCard, HomeLink } from '../../ui/screens.js'

interface Props {
  api: ApiClient
  boardId: string
  token: string
  guestId: string | null
  initial: LobbyStatus
  onAdmitted: () => void
}

const MESSAGE_MAX = 200

export function LobbyScreen({ api, boardId, token, guestId, initial, onAdmitted }: Props) {
  const [status, setStatus] = useState<LobbyStatus>(initial)
  const [message, setMessage] = useState('')
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    if (status.status !== 'waiting') return
    const events = connectBoardEvents({ baseUrl, token })
    const off = events.on('lobby:answered', (p) => {
      if (p.boardId !== boardId || (guestId && p.guestId !== guestId)) return
      setStatus((s) => ({ ...s, status: p.admitted ? 'admitted' : 'denied' }))
    })
    const poll = window.setInterval(() => void api.lobbyStatus(boardId).then(setStatus, () => {}), 15_000)
    return () => {
      off()
      events.close()
      clearInterval(poll)
    }
  }, [status.status === 'waiting'])

  useEffect(() => {
    if (status.status === 'admitted') onAdmitted()
  }, [status.status])

  if (status.status === 'denied') {
    return (
      <CenterCard title="The host did not let you in." testId="lobby-denied">
        <p>You can try again later with the invite link, or ask the host.</p>
        <HomeLink />
      </CenterCard>
    )
  }
  if (status.status === 'admitted') return null

  const knock = async (e: { preventDefault(): void }) => {
    e.preventDefault()
    setBusy(true)
    setNote(null)
    try {
      setStatus(await api.knock(boardId, message))
      setNote({ text: 'You knocked again; the hosts were told.', error: false })
    } catch (err) {
      // 429: the server says how long to wait, in its own words.
      setNote({ text: err instanceof ApiError && err.status === 429 ? err.message : errorText(err), error: true })
    } finally {
      setBusy(false)
    }
  }
  return (
    <CenterCard title="Waiting for the host to let you in" testId="lobby-waiting-screen">
      <p data-testid="lobby-hosts">
        {status.hostsOnline === 0
          ? 'Nobody who can let you in is here right now; you’ll get in as soon as someone is.'
          : 'A host has been told you are here. This page opens the board as soon as they let you in.'}
      </p>
      <form className="stack" onSubmit={(e) => void knock(e)}>
        <label htmlFor="knock-message">Message to the host (optional)</label>
        <input id="knock-message" maxLength={MESSAGE_MAX} value={message} placeholder="e.g. I’m from the design team" onChange={(e) => setMessage((e.target as HTMLInputElement).value)} />
        {note ? (
          <p className={note.error ? 'error' : 'muted small'} role={note.error ? 'alert' : 'status'}>
            {note.text}
          </p>
        ) : null}
        <button type="submit" className="button button-block" disabled={busy}>
          {busy ? 'Knocking…' : 'Knock again'}
        </button>
      </form>
    </CenterCard>
  )
}
