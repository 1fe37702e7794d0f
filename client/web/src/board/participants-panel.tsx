// Who is on the board: everyone with access, online first, with roles and a
// GUEST badge; clicking someone online follows their view. Those who may
// restore can undo someone's changes from here, and those who manage people
// take someone out of the session or ban them.
import type { ReactNode } from 'react'
import type { Participant } from '../../../../shared/types.js'
import type { PresenceState } from '../../../sdk/index.js'
import { initials, roleLabel } from '../lib/format.js'
import { mayTarget, PersonActions, type PersonActionHandlers } from './session/person-actions.js'

interface Props {
  participants: Participant[]
  presence: PresenceState[]
  meId: string | null
  following: string | null
  onFollow: (userId: string | null) => void
  /** Set for those who may revert people: "Undo…" beside everyone else. */
  onRevert?: (person: Pick<Participant, 'kind' | 'id' | 'name' | 'guest'>) => void
  /** Set for those who may manage people: "Take out" and "Ban…" beside everyone but the owner and us. */
  session?: PersonActionHandlers
  /** Hosts: the guests waiting in the lobby, above everyone else. */
  waiting?: ReactNode
  onClose: () => void
}

export function ParticipantsPanel({ participants, presence, meId, following, onFollow, onRevert, session, waiting, onClose }: Props) {
  const live = new Map<string, PresenceState>()
  for (const p of presence) if (!live.has(p.user.id)) live.set(p.user.id, p)
  // Someone connected but not in the list yet (the list refreshes on events) still shows up.
  const rows: (Participant & { color?: string })[] = participants.map((p) => ({ ...p, online: p.online || live.has(p.id), color: live.get(p.id)?.user.color }))
  for (const p of live.values()) {
    if (!rows.some((r) => r.id === p.user.id)) rows.push({ kind: p.user.kind, id: p.user.id, name: p.user.name, role: p.user.role, guest: p.user.guest, online: true, color: p.user.color })
  }
  rows.sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name))
  return (
    <aside className="panel" aria-label="Participants">
      <div className="panel-head">
        <h2>People ({rows.filter((r) => r.online).length} online)</h2>
        <button type="button" className="icon-button" aria-label="Close people panel" onClick={onClose}>
          ×
        </button>
      </div>
      {waiting}
      <ul className="people" data-testid="participants">
        {rows.map((p) => {
          const isMe = p.id === meId
          const canFollow = p.online && !isMe && live.has(p.id)
          const manage = session && mayTarget(p, meId)
          return (
            <li key={`${p.kind}:${p.id}`} className={`person${manage ? ' person-managed' : ''}`}>
              <button
                type="button"
                className="person-button"
                disabled={!canFollow}
                aria-pressed={following === p.id}
                aria-label={`${p.name}${p.guest ? ' (guest)' : ''}, ${roleLabel[p.role]}, ${p.online ? 'online' : 'offline'}${canFollow ? (following === p.id ? ', stop following' : ', follow') : ''}`}
                onClick={() => onFollow(following === p.id ? null : p.id)}
              >
                <span className="avatar" style={{ background: p.color ?? '#adb5bd' }} aria-hidden="true">
                  {initials(p.name)}
                </span>
                <span className="person-name">
                  {p.name}
                  {isMe ? ' (you)' : ''}
                  {p.guest ? <span className="badge badge-guest">GUEST</span> : null}
                </span>
                <span className="person-role">{roleLabel[p.role]}</span>
                <span className={`dot ${p.online ? 'dot-on' : ''}`} aria-hidden="true" />
              </button>
              {onRevert && !isMe ? (
                <button type="button" className="link-button small person-revert" aria-label={`Undo ${p.name}’s changes`} onClick={() => onRevert(p)}>
                  Undo…
                </button>
              ) : null}
              {manage ? <PersonActions person={p} handlers={session} /> : null}
            </li>
          )
        })}
      </ul>
      {following ? (
        <button type="button" className="button" onClick={() => onFollow(null)}>
          Stop following
        </button>
      ) : (
        <p className="muted small">Click someone online to follow their view.</p>
      )}
    </aside>
  )
}
