// The board's top bar: title, saved state, board state, the session's timer,
// and the buttons that open people, comments, history, sharing and notifications.
import { type ReactNode, useEffect, useState } from 'react'
import type { Role } from '../../../../shared/capabilities.js'
import type { Notification } from '../../../../shared/events.js'
import type { Board } from '../../../../shared/types.js'
import type { ApiClient, SaveState } from '../../../sdk/index.js'
import { roleLabel } from '../lib/format.js'
import { linkHandler } from '../lib/router.js'
import { NotificationsBell } from './notifications-bell.js'
import { Icon } from '../ui/icon.js'

const SAVE_TEXT: Record<SaveState, string> = {
  saved: 'Saved',
  saving: 'Saving…',
  offline: 'Offline, changes will sync',
}

interface Props {
  api: ApiClient
  board: Board
  role: Role | null
  guest: boolean
  saveState: SaveState
  online: number
  unresolved: number
  canShare: boolean
  member: boolean
  notifications: Notification[]
  setNotifications: (f: (n: Notification[]) => Notification[]) => void
  onPeople: () => void
  onComments: () => void
  /** Set for those who may see the board's history. */
  onHistory?: () => void
  historyOpen?: boolean
  onShare: () => void
  /** Set for those who may rename the board; resolves once the server has it. */
  onRename?: (title: string) => Promise<void>
  /** The session's timer and menu (session/session-menu.tsx). */
  session?: ReactNode
}

/** The title as a button that turns into a field: Enter or leaving the field saves, Escape cancels. */
function RenameTitle({ title, onRename }: { title: string; onRename: (title: string) => Promise<void> }) {
  const [draft, setDraft] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)
  const finish = async (save: boolean) => {
    // Enter saves, and the field losing focus meanwhile must not save again.
    if (saving) return
    const next = draft?.trim() ?? ''
    if (!save || !next || next === title) return setDraft(null)
    setSaving(true)
    try {
      await onRename(next)
      setDraft(null)
    } catch {
      // The page has said why (a toast); the field stays open with what was typed.
    } finally {
      setSaving(false)
    }
  }
  if (draft === null) {
    return (
      <h1 className="board-title">
        <button type="button" className="title-button" title="Rename this board" aria-label={`Board title: ${title}. Rename`} onClick={() => setDraft(title)}>
          {title}
        </button>
      </h1>
    )
  }
  return (
    <input
      className="title-input"
      aria-label="Board title"
      autoFocus
      maxLength={200}
      disabled={saving}
      value={draft}
      onFocus={(e) => (e.target as HTMLInputElement).select()}
      onChange={(e) => setDraft((e.target as HTMLInputElement).value)}
      onBlur={() => void finish(true)}
      onKeyDown={(e) => {
        // Keys typed here are the title, never canvas shortcuts.
        e.stopPropagation()
        if (e.key === 'Enter') void finish(true)
        else if (e.key === 'Escape') void finish(false)
      }}
    />
  )
}

/** A reconnect after a role change takes a moment; only call it offline if it lasts. */
function useSteadySave(state: SaveState): SaveState {
  const [shown, setShown] = useState(state)
  useEffect(() => {
    if (state !== 'offline') return setShown(state)
    const t = setTimeout(() => setShown('offline'), 1500)
    return () => clearTimeout(t)
  }, [state])
  return shown
}

export function BoardHeader(p: Props) {
  const save = useSteadySave(p.saveState)
  return (
    <header className="board-header">
      <a href="/" className="brand" aria-label="Drawbridge home" onClick={linkHandler('/')}>
        <Icon d="M3 21V9l9-6 9 6v12M9 21v-6h6v6" />
      </a>
      <div className="title-block">
        {p.onRename ? (
          <RenameTitle title={p.board.title} onRename={p.onRename} />
        ) : (
          <h1 className="board-title" title={p.board.title}>
            {p.board.title}
          </h1>
        )}
        <span className="muted small role-line">
          {p.role ? roleLabel[p.role] : ''}
          {p.guest ? ' · guest' : ''}
        </span>
      </div>
      <span className={`save save-${save}`} role="status" aria-live="polite" data-testid="save-state">
        <span className="dot" aria-hidden="true" />
        <span className="save-text">{SAVE_TEXT[save]}</span>
      </span>
      <div className="header-actions">
        {p.session}
        <button type="button" className="icon-button" aria-label={`People, ${p.online} online`} onClick={p.onPeople} data-testid="people-button">
          <Icon d="M9 11a4 4 0 100-8 4 4 0 000 8zM2 21v-1a6 6 0 0112 0v1M16 3a4 4 0 010 8M22 21v-1a6 6 0 00-4-5.6" />
          <span className="count count-neutral">{p.online}</span>
        </button>
        <button type="button" className="icon-button" aria-label={`Comments, ${p.unresolved} open`} onClick={p.onComments}>
          <Icon d="M4 5h16v11H10l-4 4v-4H4z" />
          {p.unresolved ? <span className="count count-neutral">{p.unresolved}</span> : null}
        </button>
        {p.onHistory ? (
          <button type="button" className="icon-button" aria-label="History" title="History: versions, restore, who changed what" aria-pressed={p.historyOpen ?? false} onClick={p.onHistory} data-testid="history-button">
            <Icon d="M3 12a9 9 0 109-9 9.7 9.7 0 00-6.7 2.7L3 8M3 3v5h5M12 7v5l3 2" />
          </button>
        ) : null}
        {p.member ? <NotificationsBell api={p.api} notifications={p.notifications} setNotifications={p.setNotifications} /> : null}
        {p.canShare ? (
          <button type="button" className="button button-primary share-button" onClick={p.onShare}>
            Share
          </button>
        ) : null}
      </div>
    </header>
  )
}
