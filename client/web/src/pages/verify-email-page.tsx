// /verify-email: the page a verification link opens. It confirms the address
// by itself (the link's token is after `#`, see password-pages.tsx).
import { useEffect, useState } from 'react'
import type { User } from '../../../../shared/types.js'
import { apiFor, errorText } from '../lib/api.js'
import { session } from '../lib/session.js'
import { CenterCard, HomeLink } from '../ui/screens.js'
import { useLinkToken } from './password-pages.js'

type State = { kind: 'working' } | { kind: 'done'; email: string } | { kind: 'failed'; message: string }

export function VerifyEmailPage() {
  const token = useLinkToken()
  const [state, setState] = useState<State>(token ? { kind: 'working' } : { kind: 'failed', message: 'This link is incomplete: open it from the mail as it is.' })
  useEffect(() => {
    if (!token) return
    let live = true
    apiFor(null)
      .request<{ user: User }>('POST', '/api/auth/verify-email', { token })
      .then(({ user }) => {
        if (!live) return
        // The signed-in user (if it is this one) shows as verified without signing in again.
        const mine = session.user()
        if (mine && mine.user.id === user.id) session.setUser({ ...mine, user })
        setState({ kind: 'done', email: user.email })
      })
      .catch((err: unknown) => live && setState({ kind: 'failed', message: errorText(err) }))
    return () => {
      live = false
    }
  }, [token])
  if (state.kind === 'working') return <CenterCard title="Confirming your address…" testId="verify-page" />
  return (
    <CenterCard title={state.kind === 'done' ? 'Address confirmed' : 'Not confirmed'} testId="verify-page">
      <p role={state.kind === 'failed' ? 'alert' : undefined}>{state.kind === 'done' ? `Thank you: ${state.email} is confirmed.` : state.message}</p>
      <HomeLink />
    </CenterCard>
  )
}
