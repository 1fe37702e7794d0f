// A guest on a temporary board may leave an address to be mailed an hour
// before the board is deleted, with a link to sign up and keep it. The server
// forgets the address once the reminder is sent (or the board is claimed).
import { useEffect, useState } from 'react'
import { apiFor, errorText } from '../lib/api.js'

export function ClaimReminder({ boardId, token }: { boardId: string; token: string }) {
  // undefined while loading; null: no address left.
  const [saved, setSaved] = useState<string | null | undefined>(undefined)
  const [open, setOpen] = useState(false)
  const [email, setEmail] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const path = `/api/boards/${encodeURIComponent(boardId)}/claim-reminder`

  useEffect(() => {
    let live = true
    apiFor(token)
      .request<{ email: string | null }>('GET', path)
      .then((r) => live && setSaved(r.email))
      .catch(() => live && setSaved(null))
    return () => {
      live = false
    }
  }, [token, path])

  const act = async (method: 'PUT' | 'DELETE', then: string | null) => {
    setBusy(true)
    setError(null)
    try {
      await apiFor(token).request(method, path, method === 'PUT' ? { email } : undefined)
      setSaved(then)
      setOpen(false)
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  if (saved === undefined) return null
  if (saved) {
    return (
      <span className="banner-text small" data-testid="claim-reminder-set">
        We will mail {saved} an hour before.{' '}
        <button type="button" className="button banner-button" onClick={() => void act('DELETE', null)} disabled={busy}>
          Forget my address
        </button>
      </span>
    )
  }
  if (!open) {
    return (
      <button type="button" className="button banner-button" onClick={() => setOpen(true)} data-testid="claim-reminder-open">
        Remind me by e-mail
      </button>
    )
  }
  return (
    <form
      className="claim-reminder"
      data-testid="claim-reminder-form"
      onSubmit={(e) => {
        e.preventDefault()
        void act('PUT', email.trim())
      }}
    >
      <label htmlFor="claim-reminder-email" className="small">
        Mail me an hour before it is deleted:
      </label>
      <input id="claim-reminder-email" type="email" required placeholder="you@example.com" aria-label="Your e-mail address" value={email} onChange={(e) => setEmail((e.target as HTMLInputElement).value)} autoFocus />
      <button type="submit" className="button banner-button" disabled={busy}>
        {busy ? 'Saving…' : 'Remind me'}
      </button>
      {error ? (
        <span className="error small" role="alert">
          {error}
        </span>
      ) : null}
    </form>
  )
}
