// "Sign in with <provider>" (single sign-on, when the server has one set up)
// and /sso, the page the provider's sign-in lands on. The server puts a
// one-time code (or an error) after `#`, so it never reaches a server log;
// this page takes it out of the address bar and trades it for a session.
import { useEffect, useState } from 'react'
import type { User } from '../../../../shared/types.js'
import { apiFor, errorText } from '../lib/api.js'
import { keepBoard } from '../lib/keep-board.js'
import { navigate } from '../lib/router.js'
import { session } from '../lib/session.js'
import { CenterCard, SignInLink } from '../ui/screens.js'

/** Where to go after the sign-in, and the board whose guest work comes along; kept in this tab while the provider has it. */
const PENDING_KEY = 'drawbridge.sso'
interface PendingSso {
  next: string
  boardId: string | null
}

function readPending(): PendingSso {
  try {
    const raw = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as Partial<PendingSso> | null
    sessionStorage.removeItem(PENDING_KEY)
    const next = typeof raw?.next === 'string' && raw.next.startsWith('/') && !raw.next.startsWith('//') ? raw.next : '/'
    return { next, boardId: typeof raw?.boardId === 'string' ? raw.boardId : null }
  } catch {
    return { next: '/', boardId: null }
  }
}

let providerName: Promise<string | null> | null = null
/** The provider's name, or null when the server has none (asked once per page load). */
function ssoProvider(): Promise<string | null> {
  providerName ??= apiFor(null)
    .request<{ sso: { name: string } | null }>('GET', '/api/auth/sso')
    .then((r) => r.sso?.name ?? null)
    .catch(() => null)
  return providerName
}

export function SsoButton({ next, boardId }: { next: string; boardId: string | null }) {
  const [name, setName] = useState<string | null>(null)
  useEffect(() => {
    let live = true
    void ssoProvider().then((n) => live && setName(n))
    return () => {
      live = false
    }
  }, [])
  if (!name) return null
  const go = () => {
    try {
      sessionStorage.setItem(PENDING_KEY, JSON.stringify({ next, boardId } satisfies PendingSso))
    } catch {
      // Without storage the sign-in still works; it ends on the boards list.
    }
  }
  return (
    <div className="stack" data-testid="sso">
      <p className="muted small sso-or">or</p>
      {/* A real navigation: the server sends the browser on to the provider. */}
      <a className="button button-block" href="/api/auth/sso/start" onClick={go}>
        Sign in with {name}
      </a>
    </div>
  )
}

type State = { kind: 'working' } | { kind: 'failed'; message: string }

export function SsoPage() {
  const [fields] = useState(() => new URLSearchParams(location.hash.slice(1)))
  const [state, setState] = useState<State>(() => {
    if (fields.get('code')) return { kind: 'working' }
    return { kind: 'failed', message: fields.get('message') ?? 'This sign-in link is incomplete; please sign in again.' }
  })
  useEffect(() => {
    if (location.hash) history.replaceState(history.state, '', location.pathname)
    const code = fields.get('code')
    const pending = readPending()
    if (!code) return
    let live = true
    const guest = pending.boardId ? session.guest(pending.boardId) : null
    apiFor(guest?.token ?? null)
      .request<{ user: User; token: string }>('POST', '/api/auth/sso/complete', { code })
      .then(async (result) => {
        session.setUser(result)
        if (pending.boardId && guest) {
          session.setGuest(pending.boardId, null)
          await keepBoard(pending.boardId, result.token)
        }
        navigate(pending.next, true)
      })
      .catch((err: unknown) => live && setState({ kind: 'failed', message: errorText(err) }))
    return () => {
      live = false
    }
  }, [fields])
  if (state.kind === 'working') return <CenterCard title="Signing you in…" testId="sso-page" />
  return (
    <CenterCard title="Not signed in" testId="sso-page">
      <p className="error" role="alert">
        {state.message}
      </p>
      <SignInLink />
    </CenterCard>
  )
}
