// The members' notification bell: mentions, replies, claims, expiry warnings.
import { useState } from 'react'
import type { Notification } from '../../../../shared/events.js'
import type { ApiClient } from '../../../sdk/index.js'
import { navigate } from '../lib/router.js'
import { Icon } from '../ui/icon.js'

function describe(n: Notification): string {
  const d = n.data as Record<string, unknown>
  const who = typeof d.actorName === 'string' ? d.actorName : typeof d.by === 'string' ? d.by : 'Someone'
  const title = typeof d.boardTitle === 'string' ? d.boardTitle : typeof d.title === 'string' ? d.title : 'a board'
  switch (n.type) {
    case 'mention':
      return `${who} mentioned you on ${title}`
    case 'reply':
      return `${who} replied on ${title}`
    case 'board.claimed':
      return `${title} was claimed`
    case 'board.expiring':
      return `${title} will be deleted soon unless someone claims it`
    case 'board.deleted':
      return `${title} was deleted`
    default:
      return 'Something happened'
  }
}

export function NotificationsBell({ api, notifications, setNotifications }: { api: ApiClient; notifications: Notification[]; setNotifications: (f: (n: Notification[]) => Notification[]) => void }) {
  const [open, setOpen] = useState(false)
  const unread = notifications.filter((n) => !n.read).length
  const markAll = async () => {
    try {
      await api.markNotificationsRead('all')
      setNotifications((ns) => ns.map((n) => ({ ...n, read: true })))
    } catch {
      // Stays unread; the next attempt will do.
    }
  }
  return (
    <div className="menu-wrap">
      <button type="button" className="icon-button bell" aria-label={`Notifications${unread ? `, ${unread} unread` : ''}`} aria-expanded={open} onClick={() => setOpen(!open)}>
        <Icon d="M6 16V11a6 6 0 0112 0v5l2 2H4zM10 20a2 2 0 004 0" />
        {unread ? <span className="count">{unread > 9 ? '9+' : unread}</span> : null}
      </button>
      {open ? (
        <div className="menu" role="region" aria-label="Notifications" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <div className="row">
            <strong>Notifications</strong>
            {unread ? (
              <button type="button" className="button button-ghost" onClick={() => void markAll()}>
                Mark all read
              </button>
            ) : null}
          </div>
          {notifications.length === 0 ? <p className="muted">Nothing yet.</p> : null}
          <ul className="notes">
            {notifications.map((n) => (
              <li key={n.id} className={n.read ? '' : 'unread'}>
                <button
                  type="button"
                  className="note-button"
                  onClick={() => {
                    setOpen(false)
                    if (!n.read) void api.markNotificationsRead([n.id]).catch(() => {})
                    setNotifications((ns) => ns.map((x) => (x.id === n.id ? { ...x, read: true } : x)))
                    if (n.boardId && n.type !== 'board.deleted') navigate(`/b/${n.boardId}`)
                  }}
                >
                  {describe(n)}
                  <span className="muted small"> · {new Date(n.createdAt).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })}</span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  )
}
