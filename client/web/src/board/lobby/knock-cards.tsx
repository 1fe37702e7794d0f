// Hosts: a card for each guest knocking (name, message, Admit / Deny), at
// the bottom of the board, and the "Waiting (N)" list for the people panel.
import { useState } from 'react'
import type { LobbyGuest } from '../../../../../shared/session.js'
import type { Lobby } from './use-lobby.js'

function Answer({ guest, lobby, onError }: { guest: LobbyGuest; lobby: Lobby; onError: (e: unknown) => void }) {
  const [busy, setBusy] = useState(false)
  const act = (admit: boolean) => async () => {
    setBusy(true)
    try {
      await lobby.answer(guest.id, admit)
    } catch (e) {
      onError(e)
    } finally {
      setBusy(false)
    }
  }
  return (
    <span className="row knock-actions">
      <button type="button" className="button button-primary" disabled={busy} aria-label={`Admit ${guest.name}`} onClick={() => void act(true)()}>
        Admit
      </button>
      <button type="button" className="button" disabled={busy} aria-label={`Deny ${guest.name}`} onClick={() => void act(false)()}>
        Deny
      </button>
    </span>
  )
}

export function KnockCards({ lobby, onError }: { lobby: Lobby; onError: (e: unknown) => void }) {
  if (lobby.knocks.length === 0) return null
  return (
    <div className="knock-cards" role="region" aria-label="Guests waiting to be let in" data-testid="knock-cards">
      {lobby.knocks.map((g) => (
        <div key={g.id} className="knock-card" role="alert" data-testid="knock-card">
          <div className="row">
            <strong className="grow">{g.name} is waiting to be let in</strong>
            <button type="button" className="icon-button" aria-label={`Hide ${g.name}’s knock`} onClick={() => lobby.dismiss(g.id)}>
              ×
            </button>
          </div>
          {g.message ? <p className="knock-message">“{g.message}”</p> : null}
          <Answer guest={g} lobby={lobby} onError={onError} />
        </div>
      ))}
    </div>
  )
}

export function WaitingList({ lobby, onError }: { lobby: Lobby; onError: (e: unknown) => void }) {
  if (lobby.waiting.length === 0) return null
  return (
    <section className="waiting" data-testid="lobby-waiting">
      <h3>Waiting ({lobby.waiting.length})</h3>
      <ul className="people">
        {lobby.waiting.map((g) => (
          <li key={g.id} className="person person-managed">
            <span className="person-name">
              {g.name}
              <span className="badge badge-guest">GUEST</span>
              {g.message ? <span className="muted small"> “{g.message}”</span> : null}
            </span>
            <Answer guest={g} lobby={lobby} onError={onError} />
          </li>
        ))}
      </ul>
    </section>
  )
}
