// "Take out" and "Ban…" beside a person in the people panel, for those who
// may manage people (never for the owner or oneself). Taking out closes
// their connection now and lets them come back; a ban removes them and keeps
// them out (a guest's browser too), so it asks first.
import { useState } from 'react'
import type { Role } from '../../../../../shared/capabilities.js'
import { participantTargetRefusal } from '../../../../../shared/rules.js'
import type { PrincipalKind } from '../../../../../shared/types.js'

export interface SessionTarget {
  kind: PrincipalKind
  id: string
  name: string
  guest: boolean
  role: Role
  online: boolean
}

export interface PersonActionHandlers {
  kick(p: SessionTarget): Promise<void>
  ban(p: SessionTarget): Promise<void>
}

/** Whether someone may be taken out or banned by us: never the owner, never ourselves. */
export function mayTarget(p: SessionTarget, meId: string | null): boolean {
  return p.id !== meId && participantTargetRefusal('kick', p.role) === null && participantTargetRefusal('ban', p.role) === null
}

export function PersonActions({ person, handlers }: { person: SessionTarget; handlers: PersonActionHandlers }) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const run = (action: () => Promise<void>) => async () => {
    setBusy(true)
    try {
      await action()
      setConfirming(false)
    } catch {
      // The page said why in a toast.
    } finally {
      setBusy(false)
    }
  }
  if (confirming) {
    return (
      <div className="person-session person-confirm" role="alertdialog" aria-label={`Ban ${person.name}?`}>
        <span className="small grow">
          Ban {person.name}? They are removed and cannot join again{person.guest ? ' from this browser' : ''}.
        </span>
        <button type="button" className="button button-danger" disabled={busy} onClick={() => void run(() => handlers.ban(person))()}>
          Ban
        </button>
        <button type="button" className="button" disabled={busy} onClick={() => setConfirming(false)}>
          Cancel
        </button>
      </div>
    )
  }
  return (
    <div className="person-session">
      {person.online ? (
        <button type="button" className="link-button small" disabled={busy} aria-label={`Take ${person.name} out of the session`} title="Disconnect them now; they can rejoin" onClick={() => void run(() => handlers.kick(person))()}>
          Take out
        </button>
      ) : null}
      <button type="button" className="link-button small link-danger" disabled={busy} aria-label={`Ban ${person.name}`} title="Remove them and keep them out" onClick={() => setConfirming(true)}>
        Ban…
      </button>
    </div>
  )
}
