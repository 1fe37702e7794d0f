// /signin and /register. Registering from a guest session (?board=…) sends
// the guest token along, so the guest's work comes with the new account.
import { useState } from 'react'
import { apiFor } from '../lib/api.js'
import { keepBoard } from '../lib/keep-board.js'
import { linkHandler, navigate } from '../lib/router.js'
import { session } from '../lib/session.js'
import { useAction } from '../lib/use-action.js'
import { CenterCard } from '../ui/screens.js'
import { SsoButton } from './sso-page.js'

/** Only same-site paths, so a crafted ?next= cannot send people elsewhere. */
export function safeNext(raw: string | null): string | null {
  return raw && raw.startsWith('/') && !raw.startsWith('//') ? raw : null
}

export function AuthPage({ mode, query }: { mode: 'signin' | 'register'; query: URLSearchParams }) {
  const [name, setName] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const { busy, error, run } = useAction()
  const boardId = query.get('board')
  const guest = boardId ? session.guest(boardId) : null
  const next = safeNext(query.get('next')) ?? (boardId ? `/b/${boardId}` : '/')

  const submit = (e: { preventDefault(): void }) => {
    e.preventDefault()
    void run(async () => {
      const result =
        mode === 'register'
          ? await apiFor(guest?.token ?? null).register({ email, password, name: name || guest?.guest.name || '' })
          : await apiFor(null).login({ email, password })
      session.setUser(result)
      if (boardId && mode === 'register') {
        session.setGuest(boardId, null)
        if (guest) await keepBoard(boardId, result.token)
      }
      navigate(next, true)
    })
  }

  const other = mode === 'signin' ? '/register' : '/signin'
  const keep = query.toString() ? `?${query}` : ''
  return (
    <CenterCard title={mode === 'signin' ? 'Sign in' : 'Create your account'} testId={`${mode}-page`}>
      {guest && mode === 'register' ? <p className="notice">Sign up so your work comes with you: your boards, roles and comments as {guest.guest.name} move to the new account.</p> : null}
      <form className="stack" onSubmit={submit}>
        {mode === 'register' ? (
          <>
            <label htmlFor="name">Name</label>
            <input id="name" autoComplete="name" required value={name || guest?.guest.name || ''} onChange={(e) => setName((e.target as HTMLInputElement).value)} />
          </>
        ) : null}
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail((e.target as HTMLInputElement).value)} autoFocus />
        <label htmlFor="password">Password</label>
        <input id="password" type="password" autoComplete={mode === 'signin' ? 'current-password' : 'new-password'} minLength={mode === 'register' ? 8 : undefined} required value={password} onChange={(e) => setPassword((e.target as HTMLInputElement).value)} />
        {mode === 'register' ? (
          <p className="muted small">At least 8 characters.</p>
        ) : (
          <p className="muted small">
            <a href="/forgot-password" onClick={linkHandler('/forgot-password')}>
              Forgot your password?
            </a>
          </p>
        )}
        {error ? <p className="error" role="alert">{error}</p> : null}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Please wait…' : mode === 'signin' ? 'Sign in' : 'Create account'}
        </button>
      </form>
      <SsoButton next={next} boardId={guest ? boardId : null} />
      <p className="muted small">
        {mode === 'signin' ? 'New here? ' : 'Already have an account? '}
        <a href={other + keep} onClick={linkHandler(other + keep)}>
          {mode === 'signin' ? 'Create an account' : 'Sign in'}
        </a>
      </p>
    </CenterCard>
  )
}
