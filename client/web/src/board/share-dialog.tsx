// Sharing: invite links per role (showing what a guest really gets on this
// tier), copy, expiry and uses, revoke; who may use links; people and roles;
// the session's capacity, bans and "End guest session" (session/); the
// guests' lobby, tools, comments and locked frames (lobby/).
import { useEffect, useState } from 'react'
import { type GrantableRole, guestRoleFor, type Role } from '../../../../shared/capabilities.js'
import { grantableRoles, participantTargetRefusal } from '../../../../shared/rules.js'
import type { Board, Invite, Participant } from '../../../../shared/types.js'
import type { ApiClient } from '../../../sdk/index.js'
import { errorText } from '../lib/api.js'
import { formatDate, roleHelp, roleLabel } from '../lib/format.js'
import { Dialog } from '../ui/dialog.js'
import type { Abilities } from './abilities.js'
import { type BoardFrame, GuestSettings } from './lobby/guest-settings.js'
import { SessionSettings } from './session/session-settings.js'

interface Props {
  api: ApiClient
  board: Board
  myRole: Role
  meId: string | null
  abilities: Abilities
  participants: Participant[]
  /** The board's frames, for locking them for guests. */
  frames: BoardFrame[]
  onBoard: (b: Board) => void
  onParticipantsChanged: () => void
  onClose: () => void
}

const EXPIRY: { label: string; seconds?: number }[] = [
  { label: 'Never' },
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
]

/** Why a guest did not get the role asked for: the tier's cap, and the ways past it. */
export function guestCapNotice(name: string, got: Role, tier: Board['tier']): string {
  return `Guests on a ${tier} board can be at most ${roleLabel[guestRoleFor('editor', tier)]}, so ${name} stays ${roleLabel[got]}. To let ${name} edit, ask them to sign up (their work comes along), or move the board to a pro account.`
}

export const inviteUrl = (token: string) => `${location.origin}/join/${token}`

export function ShareDialog({ api, board, myRole, meId, abilities, participants, frames, onBoard, onParticipantsChanged, onClose }: Props) {
  const [invites, setInvites] = useState<Invite[] | null>(null)
  const [role, setRole] = useState<GrantableRole>('editor')
  const [expiry, setExpiry] = useState(0)
  const [maxUses, setMaxUses] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [copied, setCopied] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const roles = grantableRoles(myRole)

  const load = () => api.listInvites(board.id).then(setInvites, (e: unknown) => setError(errorText(e)))
  useEffect(() => {
    void load()
  }, [board.id])

  const run = async (f: () => Promise<unknown>) => {
    setError(null)
    try {
      await f()
    } catch (e) {
      setError(errorText(e))
    }
  }

  const changeRole = (p: Participant, to: GrantableRole) =>
    run(async () => {
      setNotice(null)
      const changed = await api.changeRole(board.id, p.kind, p.id, to)
      if (changed.role !== to) setNotice(guestCapNotice(p.name, changed.role, board.tier))
      onParticipantsChanged()
    })

  const create = () =>
    run(async () => {
      const uses = maxUses.trim() ? Number(maxUses) : undefined
      const invite = await api.createInvite(board.id, {
        role,
        ...(EXPIRY[expiry]?.seconds ? { expiresInSeconds: EXPIRY[expiry]!.seconds } : {}),
        ...(uses && Number.isInteger(uses) && uses > 0 ? { maxUses: uses } : {}),
      })
      setInvites((list) => [invite, ...(list ?? [])])
    })

  const copy = async (invite: Invite) => {
    const url = inviteUrl(invite.token)
    try {
      await navigator.clipboard.writeText(url)
      setCopied(invite.id)
    } catch {
      // No clipboard permission (or an insecure origin): select the text for a manual copy.
      const input = document.getElementById(`invite-${invite.id}`) as HTMLInputElement | null
      input?.select()
    }
  }

  const active = (invites ?? []).filter((i) => !i.revoked)
  return (
    <Dialog title="Share this board" onClose={onClose} wide>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <section>
        <h3>Invite links</h3>
        <div className="row wrap">
          <label>
            Role
            <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as GrantableRole)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {roleLabel[r]}
                </option>
              ))}
            </select>
          </label>
          <label>
            Expires
            <select value={expiry} onChange={(e) => setExpiry(Number((e.target as HTMLSelectElement).value))}>
              {EXPIRY.map((x, i) => (
                <option key={x.label} value={i}>
                  {x.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Max uses
            <input type="number" min={1} inputMode="numeric" placeholder="No limit" value={maxUses} onChange={(e) => setMaxUses((e.target as HTMLInputElement).value)} />
          </label>
          <button type="button" className="button button-primary" onClick={() => void create()}>
            Create link
          </button>
        </div>
        <p className="muted small">
          {roleLabel[role]}s {roleHelp[role]}.
          {guestRoleFor(role, board.tier) !== role ? ` On this ${board.tier} board, guests joining with this link get ${roleLabel[guestRoleFor(role, board.tier)]}; members get ${roleLabel[role]}.` : ''}
        </p>
        {invites === null ? (
          <p className="muted">Loading links…</p>
        ) : active.length === 0 ? (
          <p className="muted">No active links.</p>
        ) : (
          <ul className="invites" data-testid="invites">
            {active.map((i) => (
              <li key={i.id} className="invite">
                <div className="invite-main">
                  <input id={`invite-${i.id}`} className="invite-url" readOnly value={inviteUrl(i.token)} aria-label={`${roleLabel[i.role]} link`} onFocus={(e) => (e.target as HTMLInputElement).select()} />
                  <button type="button" className="button" onClick={() => void copy(i)}>
                    {copied === i.id ? 'Copied' : 'Copy link'}
                  </button>
                  <button type="button" className="button button-danger" onClick={() => void run(async () => (await api.revokeInvite(board.id, i.id), await load(), onParticipantsChanged()))}>
                    Revoke
                  </button>
                </div>
                <div className="muted small">
                  {roleLabel[i.role]} link · guests get <strong>{roleLabel[i.guestRole]}</strong> · expires {formatDate(i.expiresAt)} · used {i.uses}
                  {i.maxUses ? ` of ${i.maxUses}` : ''} times
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      {abilities.setAccess ? (
        <section>
          <h3>Who can use links</h3>
          <fieldset className="radios">
            <legend className="sr-only">Access</legend>
            <label>
              <input type="radio" name="access" checked={board.accessMode === 'link'} onChange={() => void run(async () => onBoard(await api.updateBoard(board.id, { accessMode: 'link' })))} />
              Anyone with the link (guests without an account too)
            </label>
            <label>
              <input type="radio" name="access" checked={board.accessMode === 'specific_users'} onChange={() => void run(async () => onBoard(await api.updateBoard(board.id, { accessMode: 'specific_users' })))} />
              Specific users only (registered members; guests are turned away)
            </label>
          </fieldset>
        </section>
      ) : null}
      {abilities.lock ? (
        <section>
          <h3>Board</h3>
          <label className="check">
            <input type="checkbox" checked={board.locked} onChange={(e) => void run(async () => onBoard(await api.updateBoard(board.id, { locked: (e.target as HTMLInputElement).checked })))} />
            Locked: only you can change the content (others can still comment)
          </label>
          <label className="check">
            <input type="checkbox" checked={board.archived} onChange={(e) => void run(async () => onBoard(await api.updateBoard(board.id, { archived: (e.target as HTMLInputElement).checked })))} />
            Archived: read-only for everyone
          </label>
        </section>
      ) : null}
      {abilities.manageParticipants ? (
        <section>
          <h3>People</h3>
          {guestRoleFor('editor', board.tier) !== 'editor' && participants.some((x) => x.guest) ? (
            <p className="muted small" data-testid="guest-cap">
              On a {board.tier} board guests can be at most {roleLabel[guestRoleFor('editor', board.tier)]}; people with an account can be Editors.
            </p>
          ) : null}
          {notice ? (
            <p className="notice" role="status" data-testid="role-notice">
              {notice}
            </p>
          ) : null}
          <ul className="people">
            {participants.map((p) => (
              <li key={`${p.kind}:${p.id}`} className="person row">
                <span className="person-name">
                  {p.name}
                  {p.guest ? <span className="badge badge-guest">GUEST</span> : null}
                </span>
                {participantTargetRefusal('role', p.role) || p.id === meId ? (
                  <span className="person-role">{roleLabel[p.role]}</span>
                ) : (
                  <>
                    <select
                      aria-label={`Role of ${p.name}`}
                      value={p.role}
                      onChange={(e) => void changeRole(p, (e.target as HTMLSelectElement).value as GrantableRole)}
                    >
                      {roles.map((r) => {
                        // A guest on this tier cannot hold the role: say so in the list rather than let it snap back.
                        const capped = p.guest && p.role !== r && guestRoleFor(r, board.tier) !== r
                        return (
                          <option key={r} value={r} disabled={capped}>
                            {roleLabel[r]}
                            {capped ? ` (not for guests on a ${board.tier} board)` : ''}
                          </option>
                        )
                      })}
                    </select>
                    <button type="button" className="button button-danger" aria-label={`Remove ${p.name}`} onClick={() => void run(async () => (await api.removeParticipant(board.id, p.kind, p.id), onParticipantsChanged()))}>
                      Remove
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {abilities.setGuestLimits ? <GuestSettings api={api} board={board} frames={frames} onBoard={onBoard} run={run} /> : null}
      <SessionSettings
        api={api}
        board={board}
        abilities={abilities}
        onBoard={onBoard}
        run={run}
        peopleKey={participants.map((p) => `${p.kind}:${p.id}`).join()}
        onGuestsEnded={() => {
          void load()
          onParticipantsChanged()
        }}
      />
    </Dialog>
  )
}
