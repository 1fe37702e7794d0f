// /forgot-password (ask for a reset link) and /reset-password (the link's
// page). The link carries its token after `#`, so it never reaches a server
// log or a Referer; the page reads it and takes it out of the address bar.
import { useEffect, useState } from 'react'
import type { User } from '../../../../shared/types.js'
import { apiFor } from '../lib/api.js'
import { linkHandler, navigate } from '../lib/router.js'
import { session } from '../lib/session.js'
import { useAction } from '../lib/use-action.js'
import { CenterCard, SignInLink } from '../ui/screens.js'

/** The token from `#token=…`; the address bar (and history) lose it once the page is up. */
export function useLinkToken(): string | null {
  const [token] = useState(() => new URLSearchParams(location.hash.slice(1)).get('token'))
  useEffect(() => {
    if (location.hash) history.replaceState(history.state, '', location.pathname + location.search)
  }, [])
  return token
}

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('')
  const [sent, setSent] = useState(false)
  const { busy, error, run } = useAction()
  const submit = (e: { preventDefault(): void }) => {
    e.preventDefault()
    void run(async () => {
      await apiFor(null).request('POST', '/api/auth/password-reset', { email })
      setSent(true)
    })
  }
  if (sent) {
    return (
      <CenterCard title="Check your mail" testId="forgot-sent">
        <p>If an account uses {email}, a link to choose a new password is on its way. It works once, for a limited time.</p>
        <SignInLink />
      </CenterCard>
    )
  }
  return (
    <CenterCard title="Forgot your password?" testId="forgot-page">
      <form className="stack" onSubmit={submit}>
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail((e.target as HTMLInputElement).value)} autoFocus />
        {error ? <p className="error" role="alert">{error}</p> : null}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Please wait…' : 'Send me a link'}
        </button>
      </form>
    </CenterCard>
  )
}

export function ResetPasswordPage() {
  const token = useLinkToken()
  const [password, setPassword] = useState('')
  const { busy, error, run } = useAction()
  if (!token) {
    return (
      <CenterCard title="This link is incomplete" testId="reset-page">
        <p>Open the link from the mail as it is, or ask for a new one.</p>
        <p>
          <a href="/forgot-password" onClick={linkHandler('/forgot-password')}>
            Ask for a new link
          </a>
        </p>
      </CenterCard>
    )
  }
  const submit = (e: { preventDefault(): void }) => {
    e.preventDefault()
    void run(async () => {
      const result = await apiFor(null).request<{ user: User; token: string }>('POST', '/api/auth/password-reset/complete', { token, password })
      session.setUser(result)
      session.flash('Your new password is set; you were signed out everywhere else.')
      navigate('/', true)
    })
  }
  return (
    <CenterCard title="Choose a new password" testId="reset-page">
      <form className="stack" onSubmit={submit}>
        <label htmlFor="password">New password</label>
        <input id="password" type="password" autoComplete="new-password" minLength={8} required value={password} onChange={(e) => setPassword((e.target as HTMLInputElement).value)} autoFocus />
        <p className="muted small">At least 8 characters. Every other session of this account ends.</p>
        {error ? (
          <p className="error" role="alert">
            {error}{' '}
            <a href="/forgot-password" onClick={linkHandler('/forgot-password')}>
              Ask for a new link
            </a>
          </p>
        ) : null}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Please wait…' : 'Set password'}
        </button>
      </form>
    </CenterCard>
  )
}
